import pytest

from rag.fusion import dense_with_keyword_boost, normalise_max


def test_normalise_max_maps_best_to_one_and_keeps_zeros():
    assert normalise_max({"a": 4.0, "b": 1.0}) == {"a": 1.0, "b": 0.25}
    assert normalise_max({"a": 0.0}) == {"a": 0.0}


def test_keyword_boost_is_bounded_so_dense_stays_the_backbone():
    dense = {"close": 0.70, "far": 0.50}
    ranked = dense_with_keyword_boost(dense, {"far": 10.0}, boost=0.06)
    assert [k for k, _ in ranked] == ["close", "far"]  # a keyword match cannot jump a 0.2 cosine gap


def test_keyword_boost_breaks_near_ties():
    dense = {"a": 0.61, "b": 0.60}
    ranked = dense_with_keyword_boost(dense, {"b": 3.0}, boost=0.06)
    assert ranked[0][0] == "b"
    assert ranked[0][1] == pytest.approx(0.66)
