"""Percentiles of repeated measurements.

Example:
    >>> spread([0.010, 0.020, 0.030], scale=1000).p50
    20.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Spread:
    """Percentiles of a list of measurements (None when there were none)."""

    n: int
    p50: float | None
    p95: float | None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); None for no values.

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def spread(values: Sequence[float], scale: float = 1.0) -> Spread:
    """p50 and p95 of ``values`` times ``scale`` (1000 turns seconds into milliseconds)."""
    scaled = [v * scale for v in values]
    return Spread(len(scaled), percentile(scaled, 50), percentile(scaled, 95))
