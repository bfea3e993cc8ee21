"""A question asking who is answered by a name (rag.who)."""

import pytest

from rag.who import asks_who, names_someone


@pytest.mark.parametrize("question, asks", [
    ("Qui a proposé RMSNorm ? Je cherche le nom du ou des chercheurs.", True),
    ("C'est qui le premier auteur de l'article « Harnessing the Power of LLMs in Practice » ?", True),
    ("Dans le guide pratique, quelle entreprise est citée comme la plus généreuse côté open source ?", True),
    ("HyperCLOVA는 어느 회사가 만든 모델이에요?", True),
    ("그 리뷰 글은 누가 쓴 거예요?", True),
    ("Who proposed RMSNorm?", True),
    ("Which company released Gemini?", True),
    # "qui" as a relative pronoun, and questions about what or how many, ask for no one.
    ("Pour un assistant QA qui demande bcp de connaissances générales, je pars sur un LLM ?", False),
    ("Une archi qui cartonne en pré-entraînement, elle sera bonne en zero-shot ?", False),
    ("How many parameters does PaLM have?", False),
    ("디코더 전용 모델이 왜 주류가 되었나?", False),
])
def test_what_asks_who(question, asks):
    assert asks_who(question) is asks


def test_an_answer_naming_only_what_was_asked_about_names_no_one():
    question = "Qui a proposé RMSNorm ? Je cherche le nom du ou des chercheurs."
    assert not names_someone(question, "RMSNorm a été proposé par RMSNorm. [1] RMSNorm modifie l'algorithme de LayerNorm. [1]")
    assert names_someone(question, "RMSNorm a été proposé par Biao Zhang et Rico Sennrich. [1]")


def test_names_in_korean_and_after_a_first_name():
    assert names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 네이버가 만든 모델입니다. [1]")
    assert not names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 한국어 언어 모델입니다. [1]")
    assert names_someone("Qui a relayé le guide ?", "Le guide a été relayé par Yann LeCun. [2]")
    # A capital opening a sentence or a quote is no name.
    assert not names_someone("Qui a écrit le guide ?", "Le guide présente les LLM. [1] « Cet article discute des modèles. » [2]")
