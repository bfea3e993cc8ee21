import pytest

from rag.fusion import dense_with_keyword_boost, normalise_max, reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_weights_scale_each_ranking():
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 0.5], k=0))
    assert fused == {"a": 1.0, "b": 0.5}


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
