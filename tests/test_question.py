"""The question as asked: which of its sentences ask."""

from __future__ import annotations

import pytest

from rag.checks import asks_quantity
from rag.question import asking_sentences


@pytest.mark.parametrize("question, asking", [
    # A request asks as a question does, and a sentence of context asks nothing.
    ("새 도메인 데이터가 몇 달마다 계속 들어와요. 희소 구조가 맞는지 알려주세요.", ["희소 구조가 맞는지 알려주세요."]),
    ("GPU 몇 장 썼어요? 어떤 GPU였는지도 궁금해요", ["GPU 몇 장 썼어요?", "어떤 GPU였는지도 궁금해요"]),
    ("Our set is small btw. Tell me which model to pick.", ["Tell me which model to pick."]),
    ("On a peu de données. Dites-moi quel modèle choisir.", ["Dites-moi quel modèle choisir."]),
    # With no sentence asking, each one does.
    ("PaLM과 GPT-3의 차이. 크기 비교.", ["PaLM과 GPT-3의 차이.", "크기 비교."]),
    # "i.e." ends no sentence.
    ("what's its pass@1 on HumanEval, i.e. with a single sample?", ["what's its pass@1 on HumanEval, i.e. with a single sample?"]),
])
def test_the_sentences_that_ask_are_questions_and_requests(question, asking):
    assert asking_sentences(question) == asking


def test_a_figure_named_in_context_is_not_asked_for():
    """"몇 달마다" (every few months) in a sentence of context made the answer refused for stating no figure
    (probe set 13). It reads "a few" now (``rag.checks._reads_a_few``); a "몇" that would ask, in a sentence of
    context, asks nothing either."""
    question = ("키/값 헤드를 몇 개 그룹으로 묶었는지 몰라서 걱정이에요. GPU도 넉넉하지 않고요. "
                "PanGu-Σ 교훈 기준으로 희소 구조 쪽으로 가는 게 맞는지 알려주세요.")
    assert asks_quantity(question)  # the whole text names a figure
    assert not any(asks_quantity(sentence) for sentence in asking_sentences(question))
    assert not asks_quantity("새 도메인 데이터가 몇 달마다 계속 들어와서 걱정이에요.")
    assert any(asks_quantity(s) for s in asking_sentences("데이터가 많아요. 키/값 헤드를 몇 개 그룹으로 묶었는지 알고 싶어요."))
