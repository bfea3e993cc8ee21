"""Acronyms the documents define, spelled out in questions (rag/acronyms.py)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.acronyms import AcronymGlossary, full_form

FILLER = ["A passage about something else entirely."] * 200  # keeps the test acronyms rare


def glossary(*texts: str) -> AcronymGlossary:
    return AcronymGlossary.from_texts([*texts, *FILLER])


def test_latin_full_form_needs_the_acronyms_initials():
    assert full_form("We use Byte Pair Encoding", "BPE") == "Byte Pair Encoding"
    assert full_form("the model uses rotary position embeddings", "BPE") is None


def test_a_mixed_clause_keeps_the_latin_words_that_match():
    assert full_form("벤치마크 소스인 Multi-Turn Programming Benchmark", "MTPB") == "Multi-Turn Programming Benchmark"


def test_korean_full_form_is_the_term_the_clause_ends_with():
    assert full_form("LLM은 강력하며 자연어 이해", "NLU") == "자연어 이해"
    assert full_form("연구에서는 마스크된 언어 모델링", "MLM") == "마스크된 언어 모델링"
    assert full_form("8오스트레일리아 국립 대학교", "ANU") == "오스트레일리아 국립 대학교"


@pytest.mark.parametrize("before, acronym", [
    ("인간 피드백과 강화학습", "RLHF"),     # "feedback and reinforcement learning": where does it start?
    ("왕파드 석유 및 광물 대학교", "KFUPM"),
    ("모델이 학습하며", "ML"),             # a verb, not a term
])
def test_korean_full_form_is_unknown_when_the_term_cannot_be_delimited(before, acronym):
    assert full_form(before, acronym) is None


def test_expand_spells_out_the_first_mention_only():
    g = glossary("검색 보강 생성 (RAG)은 외부 문서를 가져옵니다.")
    assert g.expand("RAG 붙이면 RAG 없이보다 나아?") == "RAG (검색 보강 생성) 붙이면 RAG 없이보다 나아?"


def test_expand_matches_whole_acronyms_and_leaves_spelled_out_questions_alone():
    g = glossary("Retrieval augmented generation (RAG) helps.")
    assert g.expand("Is RAGE a model? Is xRAG one?") == "Is RAGE a model? Is xRAG one?"
    assert g.expand("Does retrieval augmented generation (RAG) help?") == "Does retrieval augmented generation (RAG) help?"


def test_common_acronyms_are_not_expanded():
    texts = ["Large Language Models (LLMs) are big."] + ["LLMs answer questions."] * 10
    assert "LLMs" not in AcronymGlossary.from_texts([*texts, *FILLER[:100]]).full_forms  # 11 of 111 texts


def test_the_most_frequent_full_form_wins():
    g = glossary("근사 정책 최적화 (PPO)", "근접 정책 최적화 (PPO)", "근접 정책 최적화 (PPO) 다시")
    assert g.full_forms["PPO"] == "근접 정책 최적화"


def test_corpus_glossary_and_query_vectors(corpus_index, embedder):
    """Real path: the bundled corpus defines RAG in Korean; a question using only the acronym gets a
    search vector that differs from its own, and a question without one gets its own vector twice."""
    from rag.retrieve import HybridRetriever

    retriever = HybridRetriever(corpus_index, embedder)
    assert retriever.glossary.full_forms["RAG"] == "검색 보강 생성"
    assert "LLM" not in retriever.glossary.full_forms
    question = "RAG 붙이면 작은 모델로도 큰 모델급 성능이 나와?"
    own, search = retriever.query_vectors(question)
    assert float(own @ search) < 0.99
    # A search given no vector (pipeline.search, the evaluation) embeds the spelled-out question too.
    rows = [h.row for h in retriever.search(question, 10)]
    assert rows == [h.row for h in retriever.search(question, 10, query_vec=search)]
    assert rows != [h.row for h in retriever.search(question, 10, query_vec=own)]
    np.testing.assert_allclose(own, embedder.encode_queries(["RAG 붙이면 작은 모델로도 큰 모델급 성능이 나와?"])[0],
                               atol=1e-4)
    plain, same = retriever.query_vectors("디코더 전용 모델이 왜 주류가 되었나?")
    assert plain is same
