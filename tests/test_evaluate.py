import json
from pathlib import Path

import pytest

from rag.evaluate import GoldItem, first_hit_rank, format_report, is_hit, keywords_present, load_items, retrieval_metrics
from rag_fakes import make_hit

DEV = Path(__file__).resolve().parent.parent / "survey_rag" / "data" / "dev.jsonl"


def gold_hit(text, seed="000_x.txt"):
    hit = make_hit(text)
    doc = hit.document.__class__(**{**hit.document.__dict__, "seed": seed})
    return hit.__class__(**{**hit.__dict__, "document": doc})


def test_hit_needs_half_of_the_evidence_as_one_piece_after_normalisation():
    evidence = "LLM은 요약 및 번역과 같은 특정 NLG 작업의 품질을 평가하는 데에도 매우 효과적입니다."
    half = evidence[: len(evidence) // 2 + 1]
    assert is_hit(gold_hit(f"앞 문장.  {half}\n뒤"), GoldItem("000_x.txt", evidence))
    assert not is_hit(gold_hit(evidence[:10] + " ... " + evidence[20:30]), GoldItem("000_x.txt", evidence))


def test_whitespace_and_nfkc_are_folded():
    assert is_hit(gold_hit("ﬁne   tuning\nworks well here"), GoldItem("000_x.txt", "fine tuning works well"))


def test_hit_must_come_from_the_gold_document():
    assert not is_hit(gold_hit("exact evidence text", seed="003_y.txt"), GoldItem("000_x.txt", "exact evidence text"))


def test_rank_and_metrics():
    hits = [gold_hit("nothing"), gold_hit("the gold sentence is here")]
    assert first_hit_rank(hits, [GoldItem("000_x.txt", "the gold sentence")]) == 2
    m = retrieval_metrics([1, 2, None, 7])
    assert m["recall@1"] == 0.25 and m["recall@5"] == 0.5 and m["recall@10"] == 0.75
    assert m["mrr@10"] == pytest.approx((1 + 0.5 + 1 / 7) / 4)


def test_keywords_are_case_insensitive_substrings():
    assert keywords_present("Use GPT-3 and PaLM", ["gpt-3", "palm"])
    assert not keywords_present("Use GPT-3", ["gpt-3", "palm"])


def test_dev_set_loads():
    items = load_items(DEV)
    assert len(items) == 45 and sum(not i.answerable for i in items) == 6


@pytest.mark.slow
def test_dev_retrieval_floor(corpus_settings, embedder, tmp_path):
    """CI floor: recall@5 on the dev set must stay at or above 0.90 (eval --retrieval-only)."""
    from rag.evaluate import evaluate
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(corpus_settings, embedder)
    report = evaluate(load_items(DEV), lambda q: pipeline.search(q, 10))
    print(format_report(report))
    (Path(__file__).resolve().parent.parent / "test-output").mkdir(exist_ok=True)
    (Path(__file__).resolve().parent.parent / "test-output" / "dev-retrieval.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    assert report["retrieval"]["n"] == 39
    assert report["retrieval"]["recall@5"] >= 0.90
