"""A question asking who is answered by a name (rag.who)."""

import pytest

from rag.who import asks_which_model, asks_who, names_someone, names_the_model


@pytest.mark.parametrize("question, asks", [
    ("Qui a proposé RMSNorm ? Je cherche le nom du ou des chercheurs.", True),
    ("C'est qui le premier auteur de l'article « Harnessing the Power of LLMs in Practice » ?", True),
    ("Dans le guide pratique, quelle entreprise est citée comme la plus généreuse côté open source ?", True),
    ("HyperCLOVA는 어느 회사가 만든 모델이에요?", True),
    ("그 리뷰 글은 누가 쓴 거예요?", True),
    ("Who proposed RMSNorm?", True),
    ("Which company released Gemini?", True),
    ("Which conference or journal was 'Harnessing the Power of LLMs in Practice' published in?", True),
    ("Ce guide a été publié dans quelle revue ?", True),
    ("그 논문은 어느 학회에 발표됐어요?", True),
    # "qui" as a relative pronoun, and questions about what or how many, ask for no one.
    ("Pour un assistant QA qui demande bcp de connaissances générales, je pars sur un LLM ?", False),
    ("Une archi qui cartonne en pré-entraînement, elle sera bonne en zero-shot ?", False),
    ("How many parameters does PaLM have?", False),
    ("디코더 전용 모델이 왜 주류가 되었나?", False),
    # To or for whom: an audience, which no one's name answers.
    ("이 가이드가 최종적으로 누구한테 뭘 주려는 거래요?", False),
    ("이 강의는 누구를 위한 거예요?", False),
    ("그럼 그 논문은 누구의 연구팀이 쓴 거예요?", True),
    ("who is the 'Harnessing the Power of LLMs in Practice' survey actually written for?", False),
    ("Who is this guide aimed at?", False),
    ("Who is the first author of the survey?", True),
    # The authors: their names asked for, or what they say.
    ("'Harnessing the Power of LLMs in Practice' 논문 제1저자가 누구예요?", True),
    ("개요 논문 저자 이름 좀 알려줄래요?", True),
    ("Comprehensive Overview 저자들은 자기들 논문이 다른 서베이와 뭐가 다르다고 해요?", False),
])
def test_what_asks_who(question, asks):
    assert asks_who(question) is asks


def test_an_answer_naming_only_what_was_asked_about_names_no_one():
    question = "Qui a proposé RMSNorm ? Je cherche le nom du ou des chercheurs."
    evidence = "RMSNorm [52]: Biao Zhang et Rico Sennrich proposent de normaliser par la racine carrée moyenne."
    assert not names_someone(question, "RMSNorm a été proposé par RMSNorm. [1] RMSNorm modifie l'algorithme de LayerNorm. [1]",
                             evidence)
    assert names_someone(question, "RMSNorm a été proposé par Biao Zhang et Rico Sennrich. [1]", evidence)


def test_names_in_korean_and_after_a_first_name():
    assert names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 네이버가 만든 모델입니다. [1]",
                         "HyperCLOVA는 네이버의 한국어 모델입니다.")
    assert not names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 한국어 언어 모델입니다. [1]",
                             "HyperCLOVA는 네이버의 한국어 모델입니다.")
    assert names_someone("Qui a relayé le guide ?", "Le guide a été relayé par Yann LeCun. [2]",
                         "leur article a également été retweeté par Yann LeCun.")
    # A capital opening a sentence or a quote is no name.
    assert not names_someone("Qui a écrit le guide ?", "Le guide présente les LLM. [1] « Cet article discute des modèles. » [2]",
                             "Le guide présente les LLM. Cet article discute des modèles.")


def test_a_name_the_evidence_does_not_give_is_no_answer():
    """"Jurassic-1 a été développé par OpenAI." was answered, cited, from passages naming no maker (probe set 5)."""
    evidence = "1.7 Jurassic-1 [110]: 7B 매개변수 J1-Large 모델과 178B 매개변수 J1-Jumbo 모델을 포함하는 자기 회귀 언어 모델의 한 쌍입니다."
    assert not names_someone("Jurassic-1, c'est développé par quelle entreprise ?",
                             "Jurassic-1 a été développé par Google. [1]", evidence)
    assert not names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 네이버가 만든 모델입니다. [1]",
                             "HyperCLOVA [112]: GPT-3 아키텍처를 사용한 한국어 언어 모델입니다.")


@pytest.mark.parametrize("answer, evidence", [
    ("Le premier auteur est Humza Naveed. [1]", "훔자 나비드1, 아사드 울라 칸1,∗, 시 큐2,∗, 무함마드 사킵3,4,∗"),
    ("가이드는 얀 르쿤이 리트윗했습니다. [1]", "their article was also retweeted by Yann LeCun."),
    ("Les auteurs viennent d'Amazon et de Rice. [1]", "아마존, 라이스 대학교 및 기타 기관의 학자들이"),
])
def test_a_name_the_evidence_writes_in_the_other_script_is_given(answer, evidence):
    assert names_someone("Qui a écrit le guide ? 누가 썼어요?", answer, evidence)


def test_a_korean_proper_noun_counts_only_in_a_sentence_about_what_was_asked():
    """Kiwi reads loanwords such as "퓨샷" (few-shot) as proper nouns: to "HyperCLOVA는 어느 회사가 만든 모델이에요?" an
    answer naming no maker went on with Jurassic-1's "퓨샷 학습 작업", and passed as naming someone (probe set 3)."""
    question = "HyperCLOVA는 어느 회사가 만든 모델이에요?"
    evidence = ("HyperCLOVA [112]: GPT-3 아키텍처를 사용한 한국어 언어 모델입니다. Jurassic-1 모델은 퓨샷 학습 작업에서 "
                "우수한 성능을 달성합니다. HyperCLOVA는 네이버의 모델입니다.")
    lead = "HyperCLOVA는 GPT-3 아키텍처를 사용한 한국어 언어 모델입니다. [1]"
    assert not names_someone(question, f"{lead} Jurassic-1 모델은 퓨샷 학습 작업에서 우수한 성능을 달성합니다. [1]", evidence)
    assert names_someone(question, f"{lead} HyperCLOVA는 네이버의 모델입니다. [1]", evidence)
    # An answer that does not name what was asked about is read whole.
    assert names_someone("그 리뷰는 누가 썼어요?", "네이버의 연구자들이 썼습니다. [1]", "네이버의 연구자들이 썼습니다.")


def test_a_venue_is_named_by_its_acronym_only_where_the_answer_says_it_published():
    question = "Which conference or journal was 'Harnessing the Power of LLMs in Practice' published in?"
    # The abstract, quoted in answer (probe set 6): its acronyms and links name no venue.
    abstract = ("This paper presents a practical guide for users of Large Language Models (LLMs) in their downstream NLP "
                "tasks. [2] A curated list can be found at https://github.com/Mooler0410/LLMsPracticalGuide. [4]")
    assert not names_someone(question, abstract, abstract)
    evidence = "The paper appeared at ACL 2024; an extended version in TACL. 이 논문은 EMNLP에 게재되었습니다."
    for answer in ("It was published at ACL 2024. [1]", "Il a été publié dans TACL. [1]", "이 논문은 EMNLP 2023에 게재되었습니다. [1]"):
        assert names_someone(question, answer, evidence), answer
    assert not names_someone(question, "It was published in Nature. [1]", evidence)  # a venue the evidence does not give


@pytest.mark.parametrize("question, asks", [
    ("Which LLM does PointClip V2 use to generate its 3D-specific prompts, GPT-3, GPT-4 or something else?", True),
    ("Sparrow is built on top of which base model, and how many parameters does it have?", True),
    ("How was Gorilla trained - what base model, and how did they generate its training data?", True),
    ("Tk-Instruct, c'est basé sur quel modèle ? et il bat vraiment InstructGPT alors qu'il est plus petit ?", True),
    ("l'exemple de Google Search : c'était quel LLM précisément (MUM, PaLM, BERT…) ?", True),
    ("WizardCoder는 어떤 모델을 파인튜닝했어요?", True),
    # The model's name asked for, and the model a text was made with (probe sets 21 and 22).
    ("구글 검색이 동의어 목록을 캐시할 때 사용한 LLM의 정확한 모델명이 뭔가요?", True),
    ("What is the name of the model behind GitHub Copilot?", True),
    ("Quel est le nom du modèle utilisé par Google Search ?", True),
    ("그 리뷰는 정확히 어떤 AI 모델로 생성한 거예요?", True),
    ("모델 이름이 왜 이렇게 길어요?", False),
    # Which model to choose is a recommendation, not a name to find.
    ("비용에 민감하고 응답 지연 요구도 빡빡한 서비스면 어떤 모델을 우선해야 돼?", False),
    ("Quel modèle choisir pour de la NER ?", False),
    ("Which model should I use for NER, an LLM or a fine-tuned one?", False),
    ("Quels modèles autorégressifs (style GPT) sont cités en exemple ?", False),
])
def test_what_asks_which_model(question, asks):
    assert asks_which_model(question) is asks


def test_the_model_asked_for_is_named_with_what_the_question_asks_about():
    """To the PointClip V2 question, of passages saying only that it uses "LLMs", the answer quoted that sentence and
    one on GPT4Tools (probe8-029); a model the evidence names with the subject answers."""
    question = "Which LLM does PointClip V2 use to generate its 3D-specific prompts, GPT-3, GPT-4 or something else?"
    evidence = ["PointClip V2는 LLM을 사용하여 3D 특정 프롬프트를 생성합니다.", "GPT4Tools는 LoRA를 사용하여 LLM을 미세 조정합니다."]
    assert not names_the_model(question, "PointClip V2 uses LLMs to generate 3D prompts. [1] GPT4Tools uses LoRA. [2]",
                               evidence)
    # Named, but not by the evidence.
    assert not names_the_model(question, "PointClip V2 uses GPT-4. [1]", evidence)
    assert names_the_model(question, "PointClip V2 uses GPT-4. [1]", [*evidence, "PointClip V2는 GPT-4로 프롬프트를 만듭니다."])
    # The subject named in the sentence before.
    tk = "Tk-Instruct, c'est basé sur quel modèle ?"
    assert names_the_model(tk, "Tk-Instruct bat InstructGPT. [1] Il affine T5. [1]", ["Tk-INSTRUCT [26]: T5를 세부 조정합니다."])
