"""Loading the embedder and the in-process llama.cpp model, timed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from core.models import resolve_model
from core.settings import Settings
from ingest.embed import Embedder
from rag.llm.factory import load_generator
from rag.llm.llama_cpp_backend import LlamaCppGenerator


@dataclass(frozen=True)
class ModelLoad:
    embedder: str
    embedder_dim: int
    embedder_load_s: float
    llm: str
    llm_file_bytes: int
    llm_load_s: float


def load_models(settings: Settings) -> tuple[Embedder, LlamaCppGenerator, ModelLoad]:
    """The embedder and the in-process llama.cpp model, and how long each took to load (imports included)."""
    started = time.perf_counter()
    embedder = Embedder.load(settings)
    embedder_s = time.perf_counter() - started
    started = time.perf_counter()
    generator = load_generator(settings)
    llm_s = time.perf_counter() - started
    if not isinstance(generator, LlamaCppGenerator):
        raise RuntimeError("bench measures the in-process llama.cpp model; unset SURVEY_RAG_LLM_URL")
    path = resolve_model(settings.llm_model, settings)
    record = ModelLoad(settings.embedding_model, embedder.dim, embedder_s, generator.name, path.stat().st_size, llm_s)
    return embedder, generator, record
