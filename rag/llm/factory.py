"""Choose the answer-model backend from the settings.

Example:
    >>> gen = load_generator(Settings.load())  # doctest: +SKIP
    >>> "".join(gen.stream_chat([{"role": "user", "content": "Say hi"}], max_tokens=8))  # doctest: +SKIP
    'Hi!'
"""

from __future__ import annotations

from core.models import resolve_model
from core.settings import Settings
from rag.llm.base import GenerationError, Generator
from rag.llm.llama_cpp_backend import LlamaCppGenerator
from rag.llm.openai_backend import OpenAICompatibleGenerator


def load_generator(settings: Settings) -> Generator:
    """The configured backend: an OpenAI-compatible server when ``llm_url`` is set, else llama.cpp."""
    if settings.llm_url:
        return OpenAICompatibleGenerator.from_settings(settings)
    path = resolve_model(settings.llm_model, settings)
    if path.is_dir() or path.suffix.lower() != ".gguf":
        raise GenerationError(f"{path}: the in-process LLM must be a .gguf file; set SURVEY_RAG_LLM_MODEL to one")
    return LlamaCppGenerator(path, n_ctx=settings.n_ctx, n_threads=settings.n_threads)


def answer_slots(settings: Settings) -> int:
    """How many answers may be written at once: one in-process model generates one reply at a time;
    a server (vLLM, llama-server --parallel N) batches, up to ``max_concurrent``."""
    return max(1, settings.max_concurrent) if settings.llm_url else 1
