"""Retrieval at scale: an in-memory index of random unit vectors, with passages of corpus words,
built by the product's own ``build_vector_index`` and searched by its ``HybridRetriever``.

Example:
    >>> index = synthetic_index(300, 16, synthetic_texts(chunks, 300, 0.05), "test-model")  # doctest: +SKIP
    >>> type(index.vectors).__name__  # doctest: +SKIP
    'IndexFlatIP'
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from core.settings import Settings
from ingest.embed import Embedder
from ingest.index import Index, IndexedDocument, build_vector_index, sentence_starts
from ingest.types import Chunk
from rag.retrieve import HybridRetriever, RetrievalConfig
from survey_rag.bench.plan import BenchPlan
from survey_rag.bench.retrieval import RetrievalTimes, measure_retrieval

log = logging.getLogger(__name__)


def synthetic_texts(chunks: Sequence[Chunk], n: int, korean_share: float, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (language, text) passages of words drawn from the corpus passages, each as long as a real
    passage of its language; a share of them Korean, the rest from the French and English passages."""
    rng = random.Random(seed)
    words: dict[str, list[str]] = {"ko": [], "latin": []}
    lengths: dict[str, list[int]] = {"ko": [], "latin": []}
    for c in chunks:
        group = "ko" if c.language == "ko" else "latin"
        split = c.text.split()
        words[group].extend(split)
        lengths[group].append(len(split))
    if not words["latin"]:
        words["latin"], lengths["latin"] = words["ko"], lengths["ko"]
    out = []
    for _ in range(n):
        group = "ko" if words["ko"] and rng.random() < korean_share else "latin"
        text = " ".join(rng.choices(words[group], k=max(5, rng.choice(lengths[group]))))
        out.append(("ko" if group == "ko" else "en", text))
    return out


def synthetic_index(n: int, dim: int, texts: Sequence[tuple[str, str]], model_id: str, seed: int = 0) -> Index:
    """An in-memory index of ``n`` random unit vectors, built by the product's ``build_vector_index``
    (HNSW from 50,000 vectors), with the given passage texts; each passage is its own one sentence."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    per_doc = 20
    chunks = tuple(
        Chunk(chunk_id=f"s{i}", doc_id=f"d{i // per_doc}", text=text, start=(i % per_doc) * 10_000,
              end=(i % per_doc) * 10_000 + len(text), language=lang, ordinal=i % per_doc)
        for i, (lang, text) in enumerate(texts[:n])
    )
    documents = {
        f"d{d}": IndexedDocument(f"d{d}", f"synthetic/d{d}.txt", f"Synthetic document {d}", ("en",), "", "",
                                 min(per_doc, n - d * per_doc), 0.0)
        for d in range(math.ceil(n / per_doc))
    }
    vector_index = build_vector_index(vectors, dim)
    return Index("synthetic", Path("synthetic"), documents, chunks, vector_index, model_id, vectors,
                 sentence_starts(chunks))


@dataclass(frozen=True)
class SyntheticTimes(RetrievalTimes):
    vector_build_s: float
    korean_share: float


def measure_synthetic(plan: BenchPlan, corpus_chunks: Sequence[Chunk], embedder: Embedder, settings: Settings,
                      questions: Sequence[str], query_vecs: np.ndarray) -> SyntheticTimes:
    """Retrieval times over a synthetic index of ``plan.synthetic_passages`` passages, and its build time."""
    n = plan.synthetic_passages
    log.info("building a synthetic index of %s passages", f"{n:,}")
    texts = synthetic_texts(corpus_chunks, n, plan.korean_share)
    started = time.perf_counter()
    index = synthetic_index(n, embedder.dim, texts, embedder.model_id)
    build_s = time.perf_counter() - started
    retriever = HybridRetriever(index, embedder, RetrievalConfig(candidate_k=settings.candidate_k))
    times = measure_retrieval(retriever, questions, query_vecs, settings.top_k, plan.retrieval_reps,
                              f"{n:,} passages")
    return SyntheticTimes(**vars(times), vector_build_s=build_s, korean_share=plan.korean_share)
