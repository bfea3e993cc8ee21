import pytest

from rag.calibrate import (
    BEST_EVIDENCE,
    Record,
    assign_folds,
    best_threshold,
    cross_validate,
    format_cv,
    refusal_fit,
    refusal_measure,
    threshold_fit,
)

# Answerable questions score high except a0; unanswerable ones low except u2, u3 (close) and u4 (high).
ANSWERABLE = [0.40, 0.50, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58]
UNANSWERABLE = [0.30, 0.31, 0.45, 0.46, 0.70]
RECORDS = ([Record(f"a{i}", True, {BEST_EVIDENCE: v}) for i, v in enumerate(ANSWERABLE)]
           + [Record(f"u{i}", False, {BEST_EVIDENCE: v}) for i, v in enumerate(UNANSWERABLE)])
FOLDS = [("a7", "a5", "u3"), ("a9", "a6", "u2"), ("a2", "a8", "u0"), ("a4", "a3", "u1"), ("a0", "a1", "u4")]


def test_folds_are_stable_hash_order_dealt_per_label():
    folds = [tuple(r.id for r in fold) for fold in assign_folds(RECORDS, 5)]
    assert folds == FOLDS
    assert [tuple(r.id for r in fold) for fold in assign_folds(list(reversed(RECORDS)), 5)] == FOLDS
    with pytest.raises(ValueError, match="at least 2 folds"):
        assign_folds(RECORDS, 1)


def test_refusal_threshold_in_sample_and_cross_validated():
    result = cross_validate(RECORDS, refusal_fit, refusal_measure, folds=5)
    # in-sample: refusing below 0.48 refuses u0-u3 and a0: 13 of 15 right
    assert result.in_sample.params["threshold"] == pytest.approx(0.48)
    m = result.in_sample_figures
    assert (m["unanswerable_refused"], m["answerable_refused"], m["right"]) == (4, 1, pytest.approx(13 / 15))
    # folds 1-2: without u3 (or u2) refusing below 0.355 ties with 0.475 (10 right each), the lower wins,
    # and the held-out u3 (u2) is answered; fold 5: trained without a0, 0.485 refuses the held-out a0
    assert [f.ids for f in result.folds] == FOLDS
    assert [f.params["threshold"] for f in result.folds] == pytest.approx([0.355, 0.355, 0.48, 0.48, 0.485])
    assert [f.figures["right"] for f in result.folds] == pytest.approx([2 / 3, 2 / 3, 1.0, 1.0, 1 / 3])
    cv = result.cross_validated
    assert (cv["unanswerable_refused"], cv["answerable_refused"], cv["n"]) == (2, 1, 15)
    assert cv["unanswerable_refused_share"] == 0.4 and cv["answerable_refused_share"] == 0.1
    assert cv["right"] == pytest.approx(11 / 15)
    table = format_cv(result, "refusal")
    assert "fitted, 5-fold CV" in table and "0.355-0.485" in table and "2/5 0.400" in table


def test_threshold_candidates_cover_refusing_nothing_and_everything():
    assert best_threshold([0.2, 0.5], lambda t: -t) == 0.2  # nothing below the lowest value
    everything = best_threshold([0.2, 0.5], lambda t: t)
    assert everything > 0.5 and everything == pytest.approx(0.5)
    only_unanswerable = [Record("u", False, {"x": 0.9}), Record("v", False, {"x": 0.1})]
    rule = threshold_fit("x", lambda rs, t: sum(r.features["x"] < t for r in rs))(only_unanswerable)
    assert all(rule.predict(r) for r in only_unanswerable)
