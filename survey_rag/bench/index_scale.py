"""``survey-rag bench --index-scale [N]``: the synthetic index stage alone, at N passages (100,000 by
default), with the figures of issue 19's scale targets: open seconds (wall and CPU), retrieval times
(wall and CPU), RSS added, the re-ingest of one changed document. Only the embedder is loaded (for the
dev questions' vectors and the re-ingest); the corpus is chunked, not embedded, for the synthetic texts.

``--flat`` keeps exact vectors at any size, so the same run shows what the product's HNSW index (from
``HNSW_THRESHOLD`` vectors) saves. On a shared machine the CPU figures and the load average recorded
before and after the run are what makes two runs comparable.

Example:
    >>> result = run_index_scale(Settings.load(), 100_000, flat=False)  # doctest: +SKIP
    >>> result.synthetic.on_disk.open_cpu_s  # doctest: +SKIP
    1.7
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import ingest.index
from core.settings import Settings
from ingest.chunk import chunk_document
from ingest.embed import Embedder
from ingest.load import load_document
from ingest.pipeline import discover
from ingest.types import Chunk
from survey_rag.bench.machine import MachineInfo, machine_info
from survey_rag.bench.plan import FULL_PLAN, BenchPlan
from survey_rag.bench.questions import load_questions
from survey_rag.bench.synthetic import SyntheticTimes, measure_synthetic


@dataclass(frozen=True)
class IndexScaleResult:
    mode: str  # "index-scale"
    plan: BenchPlan
    machine: MachineInfo  # its load average is the one at the start
    load_average_after: tuple[float, float, float]
    exact_vectors: bool  # --flat
    synthetic: SyntheticTimes
    duration_s: float
    cpu_s: float  # this process's CPU seconds for the whole run

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def corpus_chunks(settings: Settings) -> list[Chunk]:
    """The corpus's passages as ingest cuts them (loaded and chunked, not embedded)."""
    candidates, failures, _ = discover([settings.corpus_dir])
    if failures or not candidates:
        raise RuntimeError(f"cannot read the corpus in {settings.corpus_dir}: "
                           f"{failures[0].reason if failures else 'no documents'}")
    max_bytes = int(settings.max_file_mb * 1e6)
    return [chunk for cand in candidates
            for chunk in chunk_document(load_document(cand.path, max_bytes, cand.meta), settings.chunk_max_tokens,
                                        settings.chunk_overlap_sentences)]


@contextmanager
def exact_vectors() -> Iterator[None]:
    """Versions written meanwhile (the synthetic one and its re-ingest) keep exact vectors at any size."""
    threshold = ingest.index.HNSW_THRESHOLD
    ingest.index.HNSW_THRESHOLD = sys.maxsize
    try:
        yield
    finally:
        ingest.index.HNSW_THRESHOLD = threshold


def run_index_scale(settings: Settings, passages: int, flat: bool, embedder: Embedder | None = None,
                    plan: BenchPlan = FULL_PLAN) -> IndexScaleResult:
    """The synthetic stage of ``plan`` at ``passages`` passages, in a temporary folder, timed with the dev
    questions."""
    plan = dataclasses.replace(plan, synthetic_passages=passages)
    started, cpu = time.perf_counter(), time.process_time()
    machine = machine_info(settings)
    embedder = embedder or Embedder.load(settings)
    questions = [item.question for item in load_questions()][: plan.timing_questions]
    query_vecs = embedder.encode_queries(questions)  # in one batch: this run does not time query embedding
    chunks = corpus_chunks(settings)
    with tempfile.TemporaryDirectory(prefix="survey-rag-bench-") as tmp, (exact_vectors() if flat else nullcontext()):
        synthetic = measure_synthetic(plan, chunks, embedder, settings, questions, query_vecs, Path(tmp))
    return IndexScaleResult("index-scale", plan, machine, os.getloadavg(), flat, synthetic,
                            time.perf_counter() - started, time.process_time() - cpu)
