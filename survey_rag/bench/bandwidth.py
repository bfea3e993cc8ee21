"""Memory copy bandwidth, and the generation speed it allows: generating one token reads every
weight of the model once, so bandwidth / model size caps tokens per second.

Example:
    >>> measure_bandwidth(8 << 20, reps=2, threads=2).best > 0
    True
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


def copy_bandwidth(array_bytes: int, seconds: float) -> float:
    """Bytes per second of copying ``array_bytes``: what was read plus what was written (STREAM's count)."""
    return 2 * array_bytes / seconds


def bandwidth_bound_tokens_per_s(model_bytes: int, bandwidth_bytes_per_s: float) -> float:
    """Generation cannot beat reading every weight once per token: bandwidth / model size.

    >>> bandwidth_bound_tokens_per_s(1_000_000_000, 20e9)
    20.0
    """
    return bandwidth_bytes_per_s / model_bytes


@dataclass(frozen=True)
class Bandwidth:
    array_bytes: int
    one_thread_bytes_per_s: float
    threads: int
    threaded_bytes_per_s: float

    @property
    def best(self) -> float:
        return max(self.one_thread_bytes_per_s, self.threaded_bytes_per_s)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "best_bytes_per_s": self.best}


def measure_bandwidth(array_bytes: int, reps: int, threads: int) -> Bandwidth:
    """Best copy bandwidth of a large array, with one thread and with ``threads`` threads at once."""
    src = np.ones(array_bytes // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page first

    def best(copy: Callable[[], None]) -> float:
        seconds = []
        for _ in range(reps):
            started = time.perf_counter()
            copy()
            seconds.append(time.perf_counter() - started)
        return copy_bandwidth(src.nbytes, min(seconds))

    one = best(lambda: np.copyto(dst, src))
    parts = [(d, s) for d, s in zip(np.array_split(dst, threads), np.array_split(src, threads))]
    with ThreadPoolExecutor(threads) as pool:  # numpy releases the GIL while copying
        many = best(lambda: list(pool.map(lambda p: np.copyto(*p), parts)))
    return Bandwidth(src.nbytes, one, threads, many)


@dataclass(frozen=True)
class GenerationSpeed:
    """Measured generation speed against the bandwidth bound."""

    tokens_per_s: float | None
    copy_bandwidth: Bandwidth
    model_file_bytes: int
    bound_tokens_per_s: float
    share_of_bound: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "copy_bandwidth": self.copy_bandwidth.to_dict()}


def generation_speed(tokens_per_s: float | None, model_file_bytes: int, bandwidth: Bandwidth) -> GenerationSpeed:
    bound = bandwidth_bound_tokens_per_s(model_file_bytes, bandwidth.best)
    return GenerationSpeed(tokens_per_s, bandwidth, model_file_bytes, bound,
                           tokens_per_s / bound if tokens_per_s else None)
