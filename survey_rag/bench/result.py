"""The whole bench result, typed; ``BenchResult.to_dict()`` is the JSON that ``--json`` writes
(keys described in docs/BENCHMARKS.md).

Example:
    >>> result = run_bench(Settings.load(), quick=True)  # doctest: +SKIP
    >>> result.to_dict()["answers"]["first_token_s"]["p50"] == result.answers.first_token_s.p50  # doctest: +SKIP
    True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from survey_rag.bench.answers import AnswerSummary
from survey_rag.bench.bandwidth import GenerationSpeed
from survey_rag.bench.embedding_speed import EmbeddingSpeed
from survey_rag.bench.ingest_run import IngestTimes
from survey_rag.bench.machine import MachineInfo, StageRecord
from survey_rag.bench.model_load import ModelLoad
from survey_rag.bench.plan import BenchPlan
from survey_rag.bench.retrieval import RetrievalTimes
from survey_rag.bench.stats import Spread
from survey_rag.bench.synthetic import SyntheticTimes


@dataclass(frozen=True)
class MemoryUse:
    chat_rss_bytes: int | None  # after answering the questions
    chat_peak_rss_bytes: int  # while answering them
    # Every stage's peak, since resetting the peak (clear_refs) resets getrusage's ru_maxrss too.
    process_peak_rss_bytes: int
    peaks_per_stage_resettable: bool


@dataclass(frozen=True)
class Retrieval:
    corpus: RetrievalTimes
    synthetic: SyntheticTimes


@dataclass(frozen=True)
class BenchResult:
    mode: str  # "quick" or "full"
    plan: BenchPlan
    machine: MachineInfo
    models: ModelLoad
    ingest: IngestTimes
    embedding: EmbeddingSpeed
    query_embedding_ms: Spread
    answers: AnswerSummary
    memory: MemoryUse
    generation: GenerationSpeed
    retrieval: Retrieval
    stages: dict[str, StageRecord]
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: nested dicts and lists of numbers and strings."""
        return {**dataclasses.asdict(self), "generation": self.generation.to_dict()}
