"""Query embedding and retrieval times: dense search, keyword scoring and the whole fused search."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from ingest.embed import Embedder
from rag.retrieve import HybridRetriever
from survey_rag.bench.stats import Spread, spread


def measure_query_embedding(embedder: Embedder, questions: Sequence[str], reps: int) -> tuple[Spread, np.ndarray]:
    """Milliseconds to embed one question, and the questions' vectors (one row each)."""
    embedder.encode_queries([questions[0]])  # the first call pays one-off set-up
    seconds, vectors = [], []
    with tqdm(total=reps * len(questions), desc="query embedding", unit="question") as bar:
        for _ in range(reps):
            vectors = []
            for q in questions:
                started = time.perf_counter()
                vectors.append(embedder.encode_queries([q])[0])
                seconds.append(time.perf_counter() - started)
                bar.update()
    return spread(seconds, 1000), np.stack(vectors)


@dataclass(frozen=True)
class RetrievalTimes:
    passages: int
    vector_index: str
    keyword_build_s: float
    dense_ms: Spread
    keyword_ms: Spread
    fused_ms: Spread
    # This process's CPU time per fused search (all its threads): comparable across loads of a shared machine.
    fused_cpu_ms: Spread


def measure_retrieval(retriever: HybridRetriever, questions: Sequence[str], query_vecs: np.ndarray, top_k: int,
                      reps: int, label: str) -> RetrievalTimes:
    """Milliseconds of dense search, keyword scoring and the whole fused search (query vectors given), and the
    CPU milliseconds of the fused search."""
    started = time.perf_counter()
    _ = retriever.keyword_index  # built on first use, as in the chat page's warm-up
    keyword_build_s = time.perf_counter() - started
    retriever.search(questions[0], top_k, query_vecs[0])
    k = retriever.config.candidate_k
    kinds: dict[str, list[float]] = {"dense": [], "keyword": [], "fused": []}
    fused_cpu: list[float] = []
    calls: dict[str, Callable[[str, np.ndarray], object]] = {
        "dense": lambda q, v: retriever.dense(v, k),
        "keyword": lambda q, v: retriever.keyword(q, k),
        "fused": lambda q, v: retriever.search(q, top_k, v),
    }
    with tqdm(total=reps * len(questions), desc=f"retrieval ({label})", unit="question") as bar:
        for _ in range(reps):
            for q, v in zip(questions, query_vecs):
                for kind, call in calls.items():
                    t, cpu = time.perf_counter(), time.process_time()
                    call(q, v)
                    kinds[kind].append(time.perf_counter() - t)
                    if kind == "fused":
                        fused_cpu.append(time.process_time() - cpu)
                bar.update()
    index = retriever.index
    return RetrievalTimes(len(index.chunks), type(index.vectors).__name__, keyword_build_s,
                          spread(kinds["dense"], 1000), spread(kinds["keyword"], 1000), spread(kinds["fused"], 1000),
                          spread(fused_cpu, 1000))
