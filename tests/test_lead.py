"""rag.lead: the verdict an answer opens with, and when a verified reply may not lead the answer."""

from __future__ import annotations

import pytest

from rag.lead import copies_announcement, guesses, lead_fault, lead_verdict, without_restatements


@pytest.mark.parametrize("text, language, expected", [
    ("Yes, larger models memorise more. [1]", "en", "yes"),
    ("No. Fine-tuned models win here.", "en", "no"),
    ("Not necessarily: results can be the opposite.", "en", "no"),
    ("Nothing suggests so.", "en", None),
    ("Notably, LLMs generalise.", "en", None),  # "No" must be a word of its own
    ("Non, pas sans données annotées.", "fr", "no"),
    ("Pas forcément : le résultat peut être opposé. [2]", "fr", "no"),
    ("Oui : le guide le recommande.", "fr", "yes"),
    ("Nonobstant les coûts, le LLM convient.", "fr", None),
    ("네, 검색 증강으로 작은 모델도 비슷한 성능을 냅니다.", "ko", "yes"),
    ("네트워크 크기가 중요합니다.", "ko", None),  # 네 as the start of a word says nothing
    ("아니요, 미세 조정 모델이 훨씬 낫습니다.", "ko", "no"),
    ("꼭 그렇지는 않습니다. 반대일 수 있습니다.", "ko", "no"),
    ("아니면 둘 다 쓸 수 있습니다.", "ko", None),
])
def test_lead_verdict(text, language, expected):
    assert lead_verdict(text, language) == expected


QUESTION = "Pour un assistant QA généraliste, je pars sur un LLM ou un modèle fine-tuné ?"


def test_a_lead_restating_the_question_may_not_open_the_answer():
    assert lead_fault("Pour un assistant QA généraliste, je pars sur un modèle fine-tuné. [1]", QUESTION, "fr") == \
        "restates the question"


def test_a_lead_with_content_of_its_own_may():
    assert lead_fault("Le LLM, grâce à ses vastes connaissances du monde réel. [1]", QUESTION, "fr") is None


def test_a_restatement_opening_with_a_verdict_is_the_answer():
    question = "Peut-on utiliser un LLM comme évaluateur de résumés ?"
    assert lead_fault("Oui, on peut utiliser un LLM comme évaluateur de résumés. [1]", question, "fr") is None
    assert lead_fault("On peut utiliser un LLM comme évaluateur de résumés. [1]", question, "fr") == "restates the question"


@pytest.mark.parametrize("lead, language, hedges", [
    ("Oui, une archi qui cartonne en pré-entraînement est probablement aussi bonne en zero-shot. [2]", "fr", True),
    ("C'est peut-être le cas pour les petits modèles. [1]", "fr", True),
    ("Sans aucun doute : le LLM est meilleur. [1]", "fr", False),  # certainty is no hedge
    ("Le LLM peut être utilisé comme annotateur. [1]", "fr", False),  # "peut être" states what the guide says
    ("Yes, it is probably the better choice. [1]", "en", True),
    ("I think fine-tuned models win here. [1]", "en", True),
    ("Fine-tuned models may win on narrow tasks. [1]", "en", False),
    ("아마 미세 조정 모델이 더 나을 것입니다. [1]", "ko", True),
    ("미세 조정 모델이 더 나은 것 같습니다. [1]", "ko", True),
    ("제로샷 학습에서는 상반된 행동을 보일 수 있습니다. [1]", "ko", False),
])
def test_a_lead_that_hedges_may_not_open_the_answer(lead, language, hedges):
    assert guesses(lead, language) is hedges
    assert (lead_fault(lead, "Une question ?", language) == "guesses") is hedges


def test_an_answer_whose_reply_hedges_answers_from_the_evidence(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder): the reply words the French guide's finding
    as its own guess; the evidence sentences answer, so the guide's finding is stated without the hedge."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    reply = ("Oui, lorsque les données étiquetées sont limitées, le LLM est probablement meilleur que le modèle "
             "affiné. [1]")
    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(reply))
    answer = pipeline.answer("Avec peu de données étiquetées, un LLM est-il meilleur qu'un modèle affiné ?")
    assert not answer.refused, answer.text
    assert "probablement" not in answer.text, answer.text
    assert "le LLM est meilleur que le modèle affiné" in answer.text, answer.text


ANNOUNCEMENT = "Les défis concrets auxquels est confronté le modèle proviennent des trois aspects suivants :"


@pytest.mark.parametrize("lead, copies", [
    (f"Les trois défis sont : 1. Le coût. [1] 2. {ANNOUNCEMENT[:-2]} : essentiellement, les demandes. [2]", True),
    (f"{ANNOUNCEMENT} [2]", True),
    ("Les défis concrets viennent des entrées bruitées et des consignes. [2]", False),  # says it in its own words
    ("Exemple : le modèle traduit. [1]", False),  # a one-word announcement copied says nothing about the lead
])
def test_a_lead_copying_an_announcement_may_not_open_the_answer(lead, copies):
    evidence = [ANNOUNCEMENT, "Exemple :", "Le coût."]
    assert copies_announcement(lead, evidence) is copies
    assert lead_fault(lead, "Quels sont les trois défis ?", "fr", evidence) == \
        ("copies an announcement without what it announces" if copies else None)
    assert lead_fault(lead, "Quels sont les trois défis ?", "fr") is None  # the evidence decides


def test_an_answer_whose_reply_copies_an_announcement_answers_from_the_evidence(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder): the reply copies the French guide's
    announcement of the three challenges and lists what it made of the rest; the evidence sentences answer."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    reply = (f"Les trois défis sont : De nombreuses exigences relatives aux modèles ne peuvent même pas être "
             f"considérées comme des tâches de PNL. [1] {ANNOUNCEMENT[:-2]} : le coût de calcul. [2]")
    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(reply))
    answer = pipeline.answer("Le guide dit que les « tâches » du monde réel posent trois défis. Lesquels ?")
    assert not answer.refused, answer.text
    assert "Les trois défis sont" not in answer.text and "le coût de calcul" not in answer.text, answer.text


GREY = "Transformer 기반 모델은 회색으로 표시되지 않습니다."


@pytest.mark.parametrize("lead, fault", [
    ("위 자료는 Transformer 기반 모델을 회색으로 표시합니다. [1]", "says an evidence sentence without its negation"),
    ("진화 트리는 모델 계열을 색으로 나눕니다. [1] 위 자료는 Transformer 기반 모델을 회색으로 표시합니다. [1]",
     "says an evidence sentence without its negation"),
    ("회색은 Transformer 기반이 아닌 모델입니다. [1]", None),
])
def test_a_lead_saying_an_evidence_sentence_without_its_negation_may_not_open_the_answer(lead, fault):
    question = "진화 트리 그림에서 회색으로 표시된 모델은 어떤 모델이라는 뜻이에요?"
    assert lead_fault(lead, question, "ko", [GREY]) == fault
    assert lead_fault(lead, question, "ko") is None  # the evidence decides


def test_an_answer_whose_reply_drops_a_negation_answers_from_the_evidence(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder): the default model's reply about the evolution tree's
    grey models left out "않" (probe set 21); the evidence sentences answer, and none says the opposite of its source."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    reply = "위 자료는 Transformer 기반 모델을 회색으로 표시합니다. [1]"
    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(reply))
    question = "진화 트리 그림 보면 색깔 있는 가지들 말고 회색으로 표시된 모델들도 있던데, 회색은 어떤 모델이라는 뜻이에요?"
    answer = pipeline.answer(question)
    assert not answer.refused, answer.text
    assert "모델을 회색으로 표시합니다" not in answer.text, answer.text
    assert "회색으로 표시되지 않습니다" in answer.text, answer.text


LEGAL = ("On veut un LLM spécialisé dans le juridique. Vaut-il mieux le pré-entraîner uniquement sur nos textes "
         "juridiques, ou mélanger avec des données généralistes ? Qu'enseigne le cas BloombergGPT dans la synthèse ?")
BLOOMBERG = "BloombergGPT est entraîné sur des données financières et des données générales. [1]"


@pytest.mark.parametrize("reply, question, language, kept", [
    # The default model's reply (probe set 29): its pick is the question's first option in the question's words.
    (f"Pour un LLM spécialisé dans le juridique, il vaut mieux le pré-entraîner uniquement sur nos textes "
     f"juridiques. [3] {BLOOMBERG}", LEGAL, "fr", BLOOMBERG),
    # The question asserted back (probe set 29), then an answer.
    ("실서비스 사용자 요청이 공개 벤치마크 데이터랑 다르다고 가이드는 설명해요. 실제 환경에서 모델이 얼마나 잘하는지 평가하는 "
     "문제는 해결됐다고 보나요. [3] 평가는 아직 해결되지 않은 문제로 남아 있습니다. [3]",
     "실서비스 사용자 요청이 공개 벤치마크 데이터랑 왜 그렇게 다르다고 가이드는 설명해요? 그리고 실제 환경에서 모델이 얼마나 "
     "잘하는지 평가하는 문제는 해결됐다고 보나요?", "ko", "평가는 아직 해결되지 않은 문제로 남아 있습니다. [3]"),
    # A restatement opening with a verdict is the answer; one filling the question's slot answers it.
    (f"Oui, il vaut mieux mélanger avec des données généralistes. [1] {BLOOMBERG}", LEGAL, "fr", None),
    ("In retrieval-augmented language modeling, the two main components are a search engine and a language model. "
     "[1] The retriever drives the response. [1]",
     "In retrieval-augmented language modeling, what are the two main components and which one drives the response?",
     "en", None),
    # A reply that only restates is left whole: the lead check drops it and the evidence answers.
    ("Il vaut mieux le pré-entraîner uniquement sur nos textes juridiques. [3]", LEGAL, "fr", None),
])
def test_a_reply_s_sentences_saying_the_question_again_go(reply, question, language, kept):
    assert without_restatements(reply, question, language) == (kept or reply)


def test_an_answer_whose_reply_picks_an_option_by_restating_the_question_goes_on_without_it(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder): the default model's reply to probe set 29's legal
    question, whose first sentence picks the question's first option in its words; the answer goes on without it."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pick = "Pour un LLM spécialisé dans le juridique, il vaut mieux le pré-entraîner uniquement sur nos textes juridiques."
    reply = (f"{pick} [1] Selon la synthèse, BloombergGPT a été entraîné à la fois sur les archives financières de "
             f"Bloomberg et sur des jeux de données à usage général. [1]")
    answer = RagPipeline(corpus_settings, embedder, ScriptedGenerator(reply)).answer(LEGAL)
    assert not answer.refused, answer.text
    assert "uniquement sur nos textes juridiques" not in answer.text, answer.text
    assert "BloombergGPT" in answer.text, answer.text


FILTERED = "• 필터링된 데이터로 훈련된 모델은 NLG 및 NLU 작업 모두에서 일관되게 더 좋은 성능을 보여줍니다."
FILTERING = ("We're debating whether to aggressively filter our pretraining corpus. The overview's findings tables seem to "
             "pull in different directions on this: what does GLaM report about training on filtered data, and what does "
             "LLaMA-2 report about training on unfiltered data?")
DENYING = "GLaM reports that training on filtered data does not improve performance, while LLaMA-2 reports that it improves."


@pytest.mark.parametrize("grounds, question, fault", [
    # the default model's lead (probe set 29), resting on GLaM's finding
    ([(DENYING, FILTERED)], FILTERING, "denies what the sentence it rests on says"),
    ([("GLaM reports that models trained on filtered data do better on NLG and NLU.", FILTERED)], FILTERING, None),
    # the sentence it rests on negates; it rests on a heading; the question denies something itself
    ([("Unfiltered data does not make LLaMA-2 less toxic.", "LLaMA-2: 필터링되지 않은 데이터로 훈련된 모델은 더 독성이 있지만 "
       "fine-tuning 후에 더 좋은 성능을 발휘할 수 있습니다.")], FILTERING, None),
    ([("GPT-NeoX-20B does not slow training down.", "GPT-NeoX-20B")], "What does GPT-NeoX-20B change?", None),
    ([(DENYING, FILTERED)], "Why does filtering not help GLaM?", None),
])
def test_a_lead_denying_what_its_source_sentence_says_may_not_open_the_answer(grounds, question, fault):
    lead = " ".join(f"{sentence} [1]" for sentence, _ in grounds)
    assert lead_fault(lead, question, "en", [], grounds) == fault


def test_an_answer_whose_reply_denies_its_source_answers_from_the_evidence(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder): the default model's lead to probe set 29's question
    on filtered pre-training data denied GLaM's finding, which it rested on; the answer goes on without it."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    answer = RagPipeline(corpus_settings, embedder, ScriptedGenerator(f"{DENYING} [2]")).answer(FILTERING)
    assert not answer.refused, answer.text
    assert "does not improve" not in answer.text, answer.text
    assert answer.citations, answer.text
