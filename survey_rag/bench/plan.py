"""How much of each stage a full and a ``--quick`` bench run measure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchPlan:
    """How much of each stage to run."""

    quick: bool
    bandwidth_bytes: int
    bandwidth_reps: int
    embed_reps: int
    retrieval_reps: int
    synthetic_passages: int
    timing_questions: int | None  # dev questions timed for embedding and retrieval (None: all)
    answer_questions: int | None  # dev questions answered (None: all)
    speed_passages: int = 32  # corpus passages embedded by both the configured and the fp32 path
    korean_share: float = 0.05  # share of synthetic passages in Korean (Kiwi tokenises ~12 ms each)


FULL_PLAN = BenchPlan(quick=False, bandwidth_bytes=512 << 20, bandwidth_reps=7, embed_reps=3, retrieval_reps=5,
                      synthetic_passages=100_000, timing_questions=None, answer_questions=None)
QUICK_PLAN = BenchPlan(quick=True, bandwidth_bytes=128 << 20, bandwidth_reps=3, embed_reps=1, retrieval_reps=1,
                       synthetic_passages=10_000, timing_questions=15, answer_questions=3, speed_passages=8)
