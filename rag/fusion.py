"""Fusion of dense and keyword rankings, as small pure functions.

Example:
    >>> dense_with_keyword_boost({"a": 0.61, "b": 0.60}, {"b": 3.0}, boost=0.06)[0][0]
    'b'
"""

from __future__ import annotations

from typing import Hashable


def normalise_max(scores: dict[Hashable, float]) -> dict[Hashable, float]:
    """Divide by the largest score so the best keyword match is 1.0 (all zeros stay zero)."""
    top = max(scores.values(), default=0.0)
    if top <= 0:
        return {key: 0.0 for key in scores}
    return {key: value / top for key, value in scores.items()}


def dense_with_keyword_boost(
    dense: dict[Hashable, float], keyword: dict[Hashable, float], boost: float
) -> list[tuple[Hashable, float]]:
    """Dense cosine plus ``boost`` times the max-normalised keyword score, best first.

    The dense score stays the backbone: a passage only overtakes a denser one when it
    matches the question's rare terms much better, and the boost is bounded by ``boost``.
    Every key must have a dense score (callers score keyword-only hits densely too).
    """
    keyword = normalise_max(keyword)
    fused = {key: score + boost * keyword.get(key, 0.0) for key, score in dense.items()}
    return sorted(fused.items(), key=lambda kv: -kv[1])
