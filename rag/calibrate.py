"""Cross-validation for anything fitted on the dev set (a threshold, a rule), so that its figures
are not only the in-sample ones it was chosen on.

Each question is a ``Record``: its id, its label (answerable or not) and a dict of features
measured on it. Folds are deterministic and stratified: within each label, questions are ordered
by a stable hash of their id and dealt round-robin into the folds. A fit function turns training
records into a ``Fitted`` rule (its parameters and a yes/no prediction per record); a measure
function turns records and predictions into figures. The concrete case is the refusal threshold
on the best evidence score (``refusal_fit``, ``refusal_measure``).

Example:
    >>> records = [Record("q1", True, {"best_evidence": 0.61}), ...]  # doctest: +SKIP
    >>> result = cross_validate(records, refusal_fit, refusal_measure, folds=5)  # doctest: +SKIP
    >>> print(format_cv(result, "refusal threshold"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import statistics
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from rag.answerability import refuses

BEST_EVIDENCE = "best_evidence"
MISSING_TERM = "missing_term"  # 1.0 when a specific term of the question is in no retrieved passage


@dataclass(frozen=True)
class Record:
    id: str
    label: bool  # answerable
    features: Mapping[str, float]


@dataclass(frozen=True)
class Fitted:
    params: Mapping[str, float]
    predict: Callable[[Record], bool]


Fit = Callable[[Sequence[Record]], Fitted]
Measure = Callable[[Sequence[Record], Sequence[bool]], dict]


@dataclass(frozen=True)
class FoldResult:
    fold: int
    ids: tuple[str, ...]
    params: Mapping[str, float]  # fitted on the other folds
    figures: dict  # on this fold's records


@dataclass(frozen=True)
class CVResult:
    in_sample: Fitted
    in_sample_figures: dict  # fitted and measured on every record
    cross_validated: dict  # every record predicted by the rule fitted without its fold
    folds: tuple[FoldResult, ...]


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def assign_folds(records: Sequence[Record], folds: int) -> list[list[Record]]:
    """``folds`` lists of records: per label, ordered by the hash of the id and dealt round-robin."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    out: list[list[Record]] = [[] for _ in range(folds)]
    dealt = 0  # the second label continues where the first stopped, so fold sizes stay even
    for label in (True, False):
        ordered = sorted((r for r in records if bool(r.label) == label), key=lambda r: (stable_hash(r.id), r.id))
        for record in ordered:
            out[dealt % folds].append(record)
            dealt += 1
    return out


def cross_validate(records: Sequence[Record], fit: Fit, measure: Measure, folds: int = 5) -> CVResult:
    """In-sample figures of ``fit`` on all ``records``, and the figures of its ``folds``-fold
    cross-validated predictions (pooled over the held-out folds)."""
    fitted = fit(records)
    in_sample = measure(records, [fitted.predict(r) for r in records])
    pooled: dict[str, bool] = {}
    results = []
    for n, held_out in enumerate(assign_folds(records, folds), start=1):
        held = {r.id for r in held_out}
        rule = fit([r for r in records if r.id not in held])
        predictions = [rule.predict(r) for r in held_out]
        pooled.update(zip((r.id for r in held_out), predictions))
        results.append(FoldResult(n, tuple(r.id for r in held_out), rule.params, measure(held_out, predictions)))
    cv = measure(records, [pooled[r.id] for r in records])
    return CVResult(fitted, in_sample, cv, tuple(results))


def best_threshold(values: Sequence[float], objective: Callable[[float], float]) -> float:
    """The threshold maximising ``objective`` among: the lowest value (below it: nothing), the
    midpoints between consecutive distinct values, and just above the highest (everything).
    Ties go to the lowest such threshold."""
    distinct = sorted(set(values))
    if not distinct:
        raise ValueError("no values to choose a threshold from")
    candidates = [distinct[0], *((a + b) / 2 for a, b in zip(distinct, distinct[1:])),
                  math.nextafter(distinct[-1], math.inf)]
    return max(candidates, key=lambda t: (objective(t), -t))


def threshold_fit(feature: str, objective: Callable[[Sequence[Record], float], float]) -> Fit:
    """Fit of a rule "predict yes when ``feature`` < threshold", the threshold maximising
    ``objective(records, threshold)`` on the training records."""

    def fit(records: Sequence[Record]) -> Fitted:
        threshold = best_threshold([r.features[feature] for r in records], lambda t: objective(records, t))
        return Fitted({"threshold": threshold}, lambda r: r.features[feature] < threshold)

    return fit


def refusals_right(records: Sequence[Record], threshold: float) -> float:
    """Unanswerable questions refused plus answerable ones not refused, refusing below ``threshold``."""
    return sum(1 for r in records if (r.features[BEST_EVIDENCE] < threshold) != r.label)


refusal_fit = threshold_fit(BEST_EVIDENCE, refusals_right)


def gated_refusal(low: float, high: float) -> Fitted:
    """The rule of rag.answerability.refuses with these thresholds."""
    return Fitted({"threshold": low, "missing_term_threshold": high},
                  lambda r: refuses(r.features[BEST_EVIDENCE], r.features[MISSING_TERM] > 0, low, high))


def balanced_right(records: Sequence[Record], refused: Sequence[bool]) -> float:
    """Mean of the share of unanswerable questions refused and the share of answerable ones answered:
    with 21 unanswerable questions against 97, plain accuracy would favour answering everything."""
    pairs = list(zip(records, refused))
    unanswerable = [ref for r, ref in pairs if not r.label]
    answerable = [not ref for r, ref in pairs if r.label]
    return sum(statistics.fmean(group) for group in (unanswerable, answerable) if group) / 2


def gated_refusal_fit(records: Sequence[Record]) -> Fitted:
    """Fit of "refuse below ``low``, or below ``high`` when a question term is missing from the passages"
    (rag.answerability.Signals.refuse), both thresholds maximising ``balanced_right``; ties go to the lowest."""
    values = sorted({r.features[BEST_EVIDENCE] for r in records})
    candidates = [values[0], *((a + b) / 2 for a, b in zip(values, values[1:])), math.nextafter(values[-1], math.inf)]
    rules = [gated_refusal(low, high) for i, low in enumerate(candidates) for high in candidates[i:]]
    return max(rules, key=lambda rule: (balanced_right(records, [rule.predict(r) for r in records]),
                                        -rule.params["threshold"], -rule.params["missing_term_threshold"]))


def fixed_threshold(threshold: float, feature: str = BEST_EVIDENCE) -> Fitted:
    """A threshold chosen elsewhere (e.g. the settings' refusal threshold), as a rule."""
    return Fitted({"threshold": threshold}, lambda r: r.features[feature] < threshold)


def refusal_measure(records: Sequence[Record], refused: Sequence[bool]) -> dict:
    """Refusal figures: unanswerable refused, answerable refused (false refusals), share right."""
    pairs = list(zip(records, refused))
    unanswerable = [ref for r, ref in pairs if not r.label]
    answerable = [ref for r, ref in pairs if r.label]
    return {
        "n": len(pairs),
        "unanswerable_refused": sum(unanswerable),
        "unanswerable_n": len(unanswerable),
        "unanswerable_refused_share": sum(unanswerable) / len(unanswerable) if unanswerable else None,
        "answerable_refused": sum(answerable),
        "answerable_n": len(answerable),
        "answerable_refused_share": sum(answerable) / len(answerable) if answerable else None,
        "right": sum(1 for r, ref in pairs if ref != r.label) / len(pairs) if pairs else None,
        "balanced": balanced_right(records, refused) if pairs else None,
    }


def format_cv(result: CVResult, title: str, fixed: Mapping[str, dict] | None = None) -> str:
    """A table: ``fixed`` rules (name: figures), the in-sample fit, the cross-validated figures and each fold."""
    lines = [title, f"{'rule':26} {'thresholds':>15} {'U refused':>13} {'A refused':>13} {'right':>6} {'balanced':>8}"]

    def row(name: str, threshold: str, m: dict) -> str:
        u = f"{m['unanswerable_refused']}/{m['unanswerable_n']} {_share(m['unanswerable_refused_share'])}"
        a = f"{m['answerable_refused']}/{m['answerable_n']} {_share(m['answerable_refused_share'])}"
        return f"{name:26} {threshold:>15} {u:>13} {a:>13} {_share(m['right']):>6} {_share(m['balanced']):>8}"

    for name, m in (fixed or {}).items():
        lines.append(row(name, _params(m["params"]), m))
    lines.append(row("fitted, in-sample", _params(result.in_sample.params), result.in_sample_figures))
    thresholds = [f.params.get("threshold") for f in result.folds]
    spread = (f"{min(thresholds):.3f}-{max(thresholds):.3f}" if None not in thresholds else "per fold")
    lines.append(row(f"fitted, {len(result.folds)}-fold CV", spread, result.cross_validated))
    for f in result.folds:
        lines.append(row(f"  fold {f.fold} (held out)", _params(f.params), f.figures))
    if None not in thresholds:
        lines.append(f"fold thresholds: mean {statistics.fmean(thresholds):.4f}, "
                     f"sd {statistics.pstdev(thresholds):.4f}")
    return "\n".join(lines)


def _params(params: Mapping[str, float]) -> str:
    return " ".join(f"{v:.4f}" for v in params.values())


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
