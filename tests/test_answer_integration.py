"""The real default models answering from the real corpus (EmbeddingGemma + Qwen2.5-Coder-1.5B)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.language import detect_language
from core.settings import Settings
from core.text import strip_citation_markers
from rag.answerability import written_as_names
from rag.checks import (cited_sentences, drops_source_negation, is_echo, states_asked_quantity, swapped_name,
                        with_western_scales)
from rag.evaluate import facts_present, load_items
from rag.evidence import as_read
from rag.names import NameSpellings, latin_spellings
from rag.pipeline import RagPipeline, states_asked_figure
from rag.who import names_the_model
from survey_rag.commands import DEV_SET

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(corpus_settings, embedder, generator):
    return RagPipeline(corpus_settings, embedder, generator)


def assert_cited_answer(answer, language):
    assert not answer.refused, answer.text
    assert detect_language(answer.text) == language, answer.text
    assert answer.citations, answer.text
    shown = {c.n for c in answer.hits and answer.citations}
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text or answer.notice
        assert c.sentence and c.sentence in c.hit.chunk.text  # the supporting sentence is really in the passage
    assert shown


def dev_item(item_id: str):
    return next(item for item in load_items(DEV_SET) if item.id == item_id)


def probe_item(probe_set: int, item_id: str):
    """A question of ``docs/probe-questions-N.jsonl``."""
    path = Path(__file__).resolve().parents[1] / "docs" / f"probe-questions-{probe_set}.jsonl"
    return next(item for item in load_items(path) if item.id == item_id)


def assert_every_fact_stated(answer, item):
    """The answer states each of the dev item's key facts (any of its wordings), as ``eval`` scores it."""
    assert all(facts_present(answer.text, item.answer_facts)), (answer.text, item.answer_facts)


def test_korean_question_gets_a_korean_cited_answer_with_every_fact(pipeline):
    item = dev_item("dev-044")  # HyperCLOVA: which architecture?
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "ko")
    assert any("HyperCLOVA" in c.hit.chunk.text for c in answer.citations)
    assert_every_fact_stated(answer, item)


def test_french_question_answered_from_a_korean_only_document_with_every_fact(pipeline):
    item = dev_item("dev-050")  # LLaMA-2-Chat's RLHF and safety: the Korean translation of the overview only
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "fr")
    assert any(c.hit.chunk.language == "ko" for c in answer.citations)
    assert_every_fact_stated(answer, item)


def test_english_question_gets_an_english_cited_answer_with_every_fact(pipeline):
    item = dev_item("dev-012")  # GeLU or ReLU?
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    assert_every_fact_stated(answer, item)


def test_a_quote_carries_the_sentence_that_finishes_it(pipeline):
    item = dev_item("dev-038")  # "RAG 붙이면 작은 모델로도 큰 모델급 성능 나온다는 게 사실임?"
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "ko")
    # The overview's claim, then its example in the next sentence: quoted alone, the 11B/540B figures were lost.
    assert "발휘할 수 있습니다. 예를 들어, 11B 모델은" in answer.text, answer.text
    assert_every_fact_stated(answer, item)


def test_a_translated_quote_carries_the_list_it_announces(pipeline):
    item = dev_item("dev-101")  # multimodal LLMs "… 세 가지로 나뉠 수 있습니다." then "사전 훈련, 세부 조정 및 프롬프팅."
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    assert_every_fact_stated(answer, item)


def test_no_quote_takes_the_answer_past_600_characters(pipeline):
    item = dev_item("dev-097")  # RQ2: its quotes ran the answer to 657 characters before the cap (run QS)
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    assert len(strip_citation_markers(answer.text)) <= 600, answer.text


def test_unanswerable_question_is_refused_in_its_language_with_nearest_passages(pipeline):
    answer = pipeline.answer("Quel est le score MMLU de GPT-4 ?")
    assert answer.refused
    assert detect_language(answer.text) == "fr"
    assert answer.hits and not answer.citations


def test_a_question_asking_for_a_price_the_documents_never_give_is_refused(pipeline):
    """The overview gives Alpaca's 52,000 samples and no price: without the check that a sum of money answers a
    question asking for one, the answer led with the sample count, cited (this session's probe set)."""
    answer = pipeline.answer("Alpaca 학습시키는 데 돈이 얼마나 들었어요? 달러 기준으로요")
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "ko"


def test_a_figure_counting_something_else_than_asked_is_refused(pipeline):
    """The overview's GPT-NeoX-20B entry states no GPU count ("모델 훈련은 … GPU 간에 분산됩니다."): the default
    model answered "GPT-NeoX-20B 학습할 때 GPU 1장 썼어요.", cited (session 36's second probe set)."""
    answer = pipeline.answer("GPT-NeoX-20B 학습할 때 GPU 몇 장 썼어요? 어떤 GPU였는지도 궁금해요")
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "ko"


def test_a_licence_the_documents_never_name_is_refused(pipeline):
    """The overview lists licences in tables the corpus does not hold: asked BLOOM's licence, the answer quoted BLOOM's
    passages, cited, naming no licence (dev-084, every run since session 20)."""
    answer = pipeline.answer("BLOOM, je peux l'utiliser dans un produit commercial ? c'est quelle licence exactement ?")
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "fr"


def test_a_figure_the_question_gives_itself_answers_no_how_many(pipeline):
    """The overview says RETRO searches a 2-trillion-token subset of MassiveText and gives no chunk length: the answer
    quoted "Retro utilise un sous-ensemble de 2000 milliards de tokens du corpus MassiveText …", the question's own
    figure (probe set 10). Refused, or a figure that is not the question's."""
    from rag.checks import figure_values

    question = ("RETRO va chercher des chunks dans un sous-ensemble de 2 000 milliards de tokens de MassiveText. Les chunks "
                "font combien de tokens, et il récupère combien de voisins par chunk ?")
    answer = pipeline.answer(question)
    assert answer.refused or figure_values(strip_citation_markers(answer.text)) - figure_values(question), answer.text
    assert detect_language(answer.text) == "fr"


@pytest.mark.parametrize("question, language", [
    ("how much faster is flash attention than a standard attention implementation, according to the overview?", "en"),
    ("Quelles valeurs faut-il donner aux constantes α et β de DeepNorm pour un modèle de 24 couches ?", "fr"),
])
def test_how_much_faster_or_which_values_asks_for_a_figure_the_documents_never_give(pipeline, question, language):
    """The overview describes flash attention and DeepNorm's constants but gives neither a speed-up nor the constants'
    values: the first was answered "Flash attention is 15% faster than a standard attention implementation. [1]" (the
    15% is GPT-NeoX-20B's), the second with sentences stating no value, both cited (probe set 11)."""
    answer = pipeline.answer(question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


def test_no_sentence_is_quoted_twice_nor_layout_debris_after_it(pipeline):
    """The overview's "노동." stands alone between two paragraphs; it was quoted after the sentence on manipulation
    ("… 작업에서 뛰어납니다. 노동."), and a sentence the lead had copied came back as a quote's continuation
    (probe set 11)."""
    from core.text import split_sentences

    answer = pipeline.answer("로봇한테 여러 단계짜리 긴 지시를 주면 LLM이 과제 계획에서 뭘 맡아요? 어떤 응용 분야에서 중요해요?")
    assert_cited_answer(answer, "ko")
    text = strip_citation_markers(answer.text)
    assert "노동." not in text, answer.text
    sentences = [text[s.start:s.end].strip() for s in split_sentences(text)]
    assert len(sentences) == len(set(sentences)), answer.text


def test_a_lead_sentence_leaving_part_of_its_source_out_gives_way_to_the_source(pipeline):
    """The lead said "… the catch is that they require a lot of hardware and high operational costs", the overview's
    sentence "… is hindered by slow training and inference, requiring …" in fewer words, and that sentence was left out
    as said again: the answer lost "slow" (probe set 10). The sentence now stands where the lead sentence stood."""
    item = probe_item(10, "probe10-022")
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    assert_every_fact_stated(answer, item)


def test_a_korean_sentence_naming_many_models_is_translated_for_an_english_answer(pipeline):
    """"이 자동 지침 생성 스타일로 WizardLM (250k 지침에 대한 fine-tuned LLaMA)은 Vicuna와 Alpaca를 능가하며, …" is a fifth
    Hangul letters, and was quoted as written in an English answer (probe set 12)."""
    from core.language import hangul_share
    from core.text import split_sentences

    answer = pipeline.answer(probe_item(12, "probe12-028").question)
    assert_cited_answer(answer, "en")
    text = strip_citation_markers(answer.text)
    assert all(hangul_share(text[s.start:s.end]) < 0.1 for s in split_sentences(text)), answer.text


def test_the_sentence_stating_the_figure_answers_when_the_others_took_the_room(pipeline):
    """BloombergGPT's "… 500억 개의 매개변수를 할당합니다." ranks fourth of its evidence: the answer quoted two other
    sentences and was refused for stating no parameter count; and translated, "500억" (fifty billion) came back as
    "500 millions" (session 37, probe set 3)."""
    answer = pipeline.answer("BloombergGPT, c'est un modèle de quelle taille, en nombre de paramètres ?")
    assert_cited_answer(answer, "fr")
    assert re.search(r"\b50 milliards\b", strip_citation_markers(answer.text)), answer.text


def test_a_figure_another_model_is_said_to_have_is_refused(pipeline):
    """"ToolLLM [269]은 Rapi-dAPI에서 16k개의 API를 수집합니다." is ToolLLM's count: the default model wrote "Gorilla was
    trained on 16k API calls from Rapi-dAPI.", cited (session 37, probe set 4)."""
    answer = pipeline.answer("how many APIs was Gorilla trained on?")
    assert answer.refused, answer.text


def test_a_figure_of_the_model_whose_entry_names_the_one_asked_about_is_refused(pipeline):
    """The documents never give PanGu-α's size; PanGu-Σ's entry names it ("PanGu-Σ: PanGu-α에서 파라미터를 복사하고 …
    1조 규모로 확장된 …"), and that sentence answered for it, cited (probe set 13)."""
    answer = pipeline.answer(probe_item(13, "probe13-010").question)
    assert answer.refused, answer.text


def test_a_figure_in_a_sentence_of_context_is_not_asked_for(pipeline):
    """"새 도메인 데이터가 몇 달마다 계속 들어와서 …" ("every few months") told of the asker's data, and the answer was
    refused for stating no figure (probe set 13)."""
    answer = pipeline.answer(probe_item(13, "probe13-001").question)
    assert_cited_answer(answer, "ko")


def test_a_formula_s_constant_answers_no_value_asked_for(pipeline):
    """The overview gives the GLU variants' formulas and no value of SwiGLU's β: the answer was the formula
    "ReGLU(x, W, V, b, c) = max(0, xW + b) ⊗ [1]", quoted for stating a figure, its 0 (probe set 14)."""
    answer = pipeline.answer(probe_item(14, "probe14-020").question)
    assert answer.refused, answer.text


def test_no_sentence_states_of_one_model_what_its_source_says_of_another(pipeline):
    """The default model copied "GLU는 [73]에서 수정되어 트랜스포머의 학습 및 테스트에서 …" as "GeLU는 수정되어 트랜스포머의 …",
    cited, in its answer on GeLU (probe set 14)."""
    item = probe_item(14, "probe14-001")
    events = list(pipeline.stream(item.question))
    answer = events[-1].answer
    assert_cited_answer(answer, "ko")
    assert_every_fact_stated(answer, item)
    sources = [as_read(e) for e in events[0].evidence]
    assert not [s for s in cited_sentences(answer.text) if swapped_name(strip_citation_markers(s), sources)], answer.text


def test_who_a_text_is_written_for_is_answered_by_its_readers(pipeline):
    """"who is … written for?" asks for an audience, which no one's name answers: the answer naming "practitioners
    and end-users" was refused for naming no one (probe set 14)."""
    item = probe_item(14, "probe14-025")
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    assert_every_fact_stated(answer, item)


def test_how_far_a_degree_reaches_is_answered_without_a_figure(pipeline):
    """"how far can scaling push a key ability like reasoning?" asks a degree, which "from a very low level to a usable,
    even near-human one" answers: the answer was refused for stating no figure (probe set 15)."""
    item = probe_item(15, "probe15-025")
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    # The degree, in the words of the passage: "… from a very low level to a usable …" (its "human-like level" is
    # none of the reference's wordings of the other fact, "human level").
    assert any(facts_present(answer.text, item.answer_facts)), answer.text


@pytest.mark.parametrize("item_id, language", [("probe16-010", "ko"), ("probe16-029", "en")])
def test_a_rate_or_a_sum_the_documents_never_give_is_refused(pipeline, item_id, language):
    """The overview gives no violation rate for LLaMA-2-Chat and no price for a dataset: the first was answered with its
    entry's "40% 더 많은 훈련 데이터", the second ("does it put an actual dollar figure on it …?") with sentences saying
    datasets are expensive, both cited (probe set 16)."""
    answer = pipeline.answer(probe_item(16, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


@pytest.mark.parametrize("item_id, language", [("probe17-010", "en"), ("probe17-016", "fr")])
def test_a_figure_asked_for_by_its_unit_or_by_name_is_refused_when_never_given(pipeline, item_id, language):
    """The overview gives no MMLU gain for REPLUG and the guide no correlation with human judgements: "… how much does
    that improve GPT-3 on MMLU, in points?" and "Il donne un chiffre de corrélation … ?" were answered with sentences
    stating none, cited (probe set 17)."""
    answer = pipeline.answer(probe_item(17, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


@pytest.mark.parametrize("item_id, language", [("probe18-025", "en"), ("probe18-029", "fr")])
def test_a_share_the_documents_never_give_is_refused(pipeline, item_id, language):
    """The overview gives no share of ChatGPT's quality for Vicuna and the course page no share of the parameters a
    parameter-efficient tuning updates: the first was answered with Vicuna's "70,000 samples", the second with another
    page's "800 mots", both cited (probe set 18)."""
    answer = pipeline.answer(probe_item(18, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


@pytest.mark.parametrize("probe_set, item_id, language", [
    (22, "probe22-030", "en"), (22, "probe22-029", "en"), (22, "probe22-009", "ko"), (3, "probe3-028", "en"),
    (23, "probe23-019", "ko")])
def test_a_figure_or_a_model_name_asked_in_other_words_is_refused_when_never_given(pipeline, probe_set, item_id,
                                                                                   language):
    """Codex's parameter count, OPT's exact learning rate, the name of the model Google Search used, BloombergGPT's
    sequence length and OPT-IML's gain in points are never given: the first three were not read as asking for a figure
    or a model, the fourth took a batch size from the next clause, the fifth read the question's own "1%" as asking a
    ratio; each was answered, cited (probe sets 3, 22 and 23)."""
    answer = pipeline.answer(probe_item(probe_set, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


def test_a_variants_size_is_not_its_stems(pipeline):
    """The overview gives PaLM's 540B but no size for PaLM-2. With hubness in the sentence ranking, "PaLM-2는 파라미터
    몇 B예요? PaLM보다 작다던데 …" was answered "PaLM-2는 PaLM보다 540B 모델 규모에서 …", cited (dev-088, session 58)."""
    answer = pipeline.answer(dev_item("dev-088").question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "ko"


@pytest.mark.parametrize("item_id, language", [("probe24-010", "en"), ("probe24-030", "fr")])
def test_a_fraction_or_a_coefficient_the_documents_never_give_is_refused(pipeline, item_id, language):
    """The overview gives neither the share of GLaM's crawled pages its filter kept nor GLM-130B's gradient shrink
    coefficient: the first was answered with GLaM's "7 times larger than GPT-3" (a multiple for a part of a whole), the
    second, not read as asking for a figure, with sentences about GLM-130B stating none, both cited (probe set 24)."""
    answer = pipeline.answer(probe_item(24, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


@pytest.mark.parametrize("probe_set, item_id, language", [(26, "probe26-027", "en"), (25, "probe25-030", "ko")])
def test_sizes_asked_with_which_or_a_score_asked_as_how_much_came_out_are_refused_when_never_given(
        pipeline, probe_set, item_id, language):
    """No document gives Code Llama's sizes nor the F1 of StarCoder's PII encoder: "Which parameter sizes was it
    released in …?" was answered with CodeGen's architecture and "… 정확도(F1)는 얼마나 나왔어요?" with sentences stating
    no F1, both cited, neither read as asking for a figure (probe sets 25 and 26)."""
    answer = pipeline.answer(probe_item(probe_set, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == language


@pytest.mark.parametrize("probe_set, item_id", [(25, "probe25-018"), (26, "probe26-023")])
def test_the_questions_own_scale_or_a_figure_of_another_measure_is_refused(pipeline, probe_set, item_id):
    """No document gives LongNet's dilation rates nor MT-NLG's training tokens: the first was answered with the
    question's own "un milliard de tokens" written "1 milliard", the second with MT-NLG's 530B parameters as
    "environ 530B tokens", both cited (probe sets 25 and 26)."""
    answer = pipeline.answer(probe_item(probe_set, item_id).question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "fr"


def test_a_stray_line_far_from_every_sentence_does_not_answer_a_part_of_a_question(pipeline):
    """The Korean overview holds five stray English lines ("Please give me a glass of water.", left by its machine
    translation). With every sentence's distance from the others counting for it, the first was the evidence for
    "Et il apporte quel avantage pratique ?" and was quoted, translated, in the answer (probe23-021, session 59)."""
    _, evidence = pipeline.evidence(probe_item(23, "probe23-021").question)
    assert any("RMSNorm" in e.sentence for e in evidence)
    assert not any("glass of water" in e.sentence or "groceries" in e.sentence for e in evidence), evidence


def test_a_one_digit_count_no_passage_states_is_refused(pipeline):
    """The overview gives neither how many rounds Evol-Instruct evolves its instructions nor how many seed instructions
    it starts from: the default model wrote "… 진화를 5 라운드까지 돌렸고, 처음에 시드로 넣은 지시문은 1개였어요. [1]",
    cited; one digit is no invented number to the answer check (probe set 19)."""
    answer = pipeline.answer(probe_item(19, "probe19-004").question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "ko"


def test_a_figure_asked_of_a_model_named_in_hangul_is_that_models(pipeline):
    """"갤랙티카는 … 정확히 몇 에포크를 돌렸고 학습 말뭉치는 총 몇 토큰이었어요?" names Galactica as the overview's findings
    heading does, which the figure check did not read as a name, so Chinchilla's entry "친칠라: … 50억에서 5000억 개의
    토큰을 사용하여 …" answered it, cited; the overview gives neither figure (probe set 20)."""
    question = probe_item(20, "probe20-025").question
    _, evidence = pipeline.evidence(question)
    latin = latin_spellings(evidence, NameSpellings(pipeline.retriever().index))
    assert latin.get("갤랙티카") == "Galactica", latin  # (the overview writes Chinchilla in Hangul only)
    chinchilla = [f"{as_read(e)} [{e.n}]" for e in evidence if e.heading == "친칠라" and "토큰" in e.sentence]
    assert chinchilla and all(states_asked_figure(question, claim, evidence) for claim in chinchilla), chinchilla
    assert not [claim for claim in chinchilla if states_asked_figure(question, claim, evidence, (), latin)]
    answer = pipeline.answer(question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "ko"


def test_a_precision_and_recall_no_passage_gives_are_refused(pipeline):
    """The overview says StarCoder trains an encoder to filter personal data out, and gives neither its name nor its
    precision and recall: the answer restated the filter and StarCoder's "context length up to 8k", cited (probe
    set 20)."""
    answer = pipeline.answer(probe_item(20, "probe20-012").question)
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "en"


def test_no_answer_sentence_picks_an_option_of_the_question_with_nothing_behind_it(pipeline):
    """Asked which AI model wrote the paper review, "GPT-4예요, Claude예요?", the default model replied "GPT-4 예요", cited to
    a sentence about GPT-4 generating tool-use data; its words split across scripts, it did not read as the question
    again. The review names no model (probe set 21)."""
    question = probe_item(21, "probe21-004").question
    answer = pipeline.answer(question)
    assert detect_language(answer.text) == "ko"
    sentences = [strip_citation_markers(s) for s in cited_sentences(answer.text)]
    assert not [s for s in sentences if is_echo(s, question)], answer.text


def test_no_answer_sentence_gives_the_question_s_figure_in_place_of_its_source_s(pipeline):
    """Asked whether HuaTuo was built on the 7B or the 13B LLaMA, the answer opened with "LLaMA는 7B에서 13B까지 …", LLaMA's
    entry with the question's 13B for its 70B, cited (probe set 21). No passage says which."""
    answer = pipeline.answer(probe_item(21, "probe21-022").question)
    assert detect_language(answer.text) == "ko"
    assert "13B" not in answer.text, answer.text


def test_no_answer_sentence_says_its_source_without_its_negation(pipeline):
    """Asked what the evolution tree's grey models are, the answer opened with "위 자료는 Transformer 기반 모델을 회색으로
    표시합니다." from "Transformer 기반 모델은 회색으로 표시되지 않습니다.", cited (probe set 21)."""
    question = probe_item(21, "probe21-007").question
    _, evidence = pipeline.evidence(question)
    answer = pipeline.answer(question)
    sentences = [strip_citation_markers(s) for s in cited_sentences(answer.text)]
    assert not [s for s in sentences if drops_source_negation(s, "ko", [e.sentence for e in evidence])], answer.text


def test_a_french_acronym_the_guide_writes_its_own_way_is_answered(pipeline):
    """"… est-ce qu'il le présente comme un problème simple pour le TAL ?" was refused before the model ran: the French
    guide writes "PNL" ("Pour la PNL, le raisonnement est extrêmement difficile."; probe set 19). The answer states a
    fact of the guide's; how many depends on the model's wording, which the llama.cpp build changes: every one on
    session 61's machine, one of three on an AMD EPYC build with AVX512-BF16 (session 62, on that session's code and
    the one before it alike)."""
    item = probe_item(19, "probe19-026")
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "fr")
    assert any(facts_present(answer.text, item.answer_facts)), answer.text


def test_a_licence_named_in_a_sentence_of_context_is_not_asked_for(pipeline):
    """"Il me faut, pour chaque modèle, le type de licence, … Dans quels tableaux la synthèse range-t-elle ces
    informations ?" asks which tables, and was refused for naming no licence (probe set 19)."""
    item = probe_item(19, "probe19-002")
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "fr")
    assert any(facts_present(answer.text, item.answer_facts)), answer.text


def test_a_few_examples_is_no_figure_asked_for(pipeline):
    """"프롬프트에 예시 몇 개 넣어 주는 퓨샷 방식으로 버틸 수 있을까요?" asks whether few-shot prompting will do: its "몇 개"
    reads "a few", and the answer was refused for stating no figure (probe set 16)."""
    answer = pipeline.answer(probe_item(16, "probe16-006").question)
    assert_cited_answer(answer, "ko")


def test_who_is_answered_by_a_name_or_refused(pipeline):
    """The documents name no one behind RMSNorm; the default model wrote "RMSNorm a été proposé par RMSNorm.", cited
    (session 36, probe set 3)."""
    answer = pipeline.answer("Qui a proposé RMSNorm ? Je cherche le nom du ou des chercheurs.")
    assert answer.refused, answer.text
    assert detect_language(answer.text) == "fr"


def test_who_is_not_answered_by_a_name_the_evidence_does_not_give(pipeline):
    """The overview gives Jurassic-1's sizes and tokenizer, never its maker; the default model wrote "Jurassic-1 a été
    développé par OpenAI.", cited (session 38, probe set 5)."""
    answer = pipeline.answer("Jurassic-1, c'est développé par quelle entreprise ?")
    assert answer.refused, answer.text


def test_where_a_paper_was_published_is_answered_by_a_venue_or_refused(pipeline):
    """The documents give the paper's arXiv link and its authors' institutions, never a venue; the answer quoted its
    abstract, cited (session 40, probe set 6)."""
    answer = pipeline.answer("Which conference or journal was 'Harnessing the Power of LLMs in Practice' published in?")
    assert answer.refused, answer.text


def test_a_bibliography_reference_is_no_figure_of_the_evidence(pipeline):
    """"RETRO [239]는 RAG 없이 훈련된 GPT-3와 같은 큰 LLM보다 …" was taken for a sentence stating RETRO's database size
    (its reference read as a figure), and quoted in place of the one that does (session 40, probe set 5)."""
    question = ("RETRO, il va chercher ses passages dans quelle base et de quelle taille ? Et ça vaut le coup face à "
                "un gros modèle sans retrieval comme GPT-3 ?")
    _, evidence = pipeline.evidence(question)
    stating = [e.sentence for e in evidence if states_asked_figure(question, f"{as_read(e)} [{e.n}]", [e])]
    assert stating and all("2조" in sentence for sentence in stating), stating
    # Its "2조" (two trillion) is written "2000 milliards" for the French answer, and that is no year: stated in French
    # with the scale the translation is given, the figure still answers.
    database = next(e for e in evidence if "2조" in e.sentence)
    in_french = f"{with_western_scales(as_read(database), 'fr')} [{database.n}]"
    assert "2000 milliards" in in_french and states_asked_figure(question, in_french, evidence), in_french


def assert_no_evidence_states_the_figure(pipeline, question, figure):
    """The question's real evidence holds a sentence with ``figure``, and no evidence sentence states the figure the
    question asks for."""
    _, evidence = pipeline.evidence(question)
    assert any(figure in e.sentence for e in evidence), [e.sentence for e in evidence]
    assert not [e.sentence for e in evidence if states_asked_figure(question, f"{as_read(e)} [{e.n}]", [e])]


def test_a_figure_of_another_training_setting_answers_no_learning_rate(pipeline):
    """The overview says GPT-3 trained with "a lower learning rate" and gives its size, "175B", but no learning rate:
    the figure rescue quoted the "175B" sentence as the figure asked, cited (session 41, probe set 3)."""
    question = "GPT-3는 학습률(learning rate)을 정확히 얼마로 잡고 학습했어요?"
    assert_no_evidence_states_the_figure(pipeline, question, "175B")
    answer = pipeline.answer(question)
    assert answer.refused, answer.text


def test_a_name_opening_the_question_holds_the_figure_to_it(pipeline):
    """"Sparrow is built on …" opens with the name asked about, and a capital opening a sentence proves nothing, so
    the question named nothing and GPT-3's "175B" answered it, cited (session 41, probe set 7). The passages write
    "Sparrow" as a name, so the figure must be Sparrow's, and they give none."""
    question = "Sparrow is built on top of which base model, and how many parameters does it have?"
    _, evidence = pipeline.evidence(question)
    names = written_as_names(question, [e.hit.chunk.text for e in evidence])
    assert names == {"Sparrow"}
    claims = [f"{as_read(e)} [{e.n}]" for e in evidence]
    assert any("175B" in claim and states_asked_figure(question, claim, evidence) for claim in claims), claims
    assert not [claim for claim in claims if states_asked_figure(question, claim, evidence, names)]
    answer = pipeline.answer(question)
    assert answer.refused, answer.text


def test_a_score_asked_for_is_a_benchmark_result(pipeline):
    """The overview says Yuan 1.0 does well on the Winograd schema and gives no score: the figure rescue quoted its
    "5TB" corpus as the score asked, cited (session 43, probe set 8). Galactica's PubMedQA "77.6%" is a score."""
    question = "D'après la synthèse, Yuan 1.0 s'en sort bien sur le schéma de Winograd. Il obtient quel score exactement ?"
    _, evidence = pipeline.evidence(question)
    claims = [f"{as_read(e)} [{e.n}]" for e in evidence]
    assert any("Yuan 1.0" in claim and states_asked_quantity(question, claim) for claim in claims), claims
    assert not [claim for claim in claims if states_asked_figure(question, claim, evidence)]
    answer = pipeline.answer(question)
    assert answer.refused, answer.text
    galactica = "what scores did galactica get on PubMedQA and MedMCQA?"
    _, evidence = pipeline.evidence(galactica)
    assert [e for e in evidence if "77.6%" in e.sentence and states_asked_figure(galactica, f"{as_read(e)} [{e.n}]", [e])]


def test_figures_asked_of_two_models_are_answered_by_each_model_s_figure(pipeline):
    """Read as one question, "how many languages … and what share is English?" asks a share and counts languages of
    every sentence: the answer stating mT5's 101 languages and LaMDA's 90% was refused (session 65, probe set 30).
    Each part is answered by its own model's figure; one part's figure alone does not answer both."""
    question = ("Pour un assistant multilingue : mT5 couvre combien de langues ? "
                "Et LaMDA, quelle part de ses données de pré-entraînement est en anglais ?")
    _, evidence = pipeline.evidence(question)
    languages = next(e for e in evidence if "101" in e.sentence and "mT5" in as_read(e))
    english = next(e for e in evidence if "90%" in e.sentence)
    both = f"{as_read(languages)} [{languages.n}] LaMDA: {as_read(english)} [{english.n}]"
    assert states_asked_figure(question, both, evidence), both
    assert not states_asked_figure(question, f"{as_read(languages)} [{languages.n}]", evidence)


def test_a_model_and_its_variant_both_asked_about_get_both_figures(pipeline):
    """probe30-024 asks the LLaMA series' parameter range and how much more data LLaMA-2 uses: the default model's
    answer gave both, and was replaced with LLaMA-2's 40% sentence alone, the series taken for a model named only
    beside its variant (session 65)."""
    item = probe_item(30, "probe30-024")
    answer = pipeline.answer(item.question)
    assert_cited_answer(answer, "en")
    assert_every_fact_stated(answer, item)


def test_a_cost_asked_for_is_money_or_computation(pipeline):
    """The overview gives self-instruct's 52,000 instructions and no cost: the answer quoted the counts to "how much
    did the API cost?", cited (session 43, probe set 8)."""
    question = ("self-instruct로 GPT-3를 써서 지시어 52,000개랑 인스턴스 82,000개를 만들었다던데, 그거 생성하는 데 API 비용은 "
                "얼마나 들었어요?")
    assert_no_evidence_states_the_figure(pipeline, question, "52,000")
    answer = pipeline.answer(question)
    assert answer.refused, answer.text


def test_which_model_is_answered_by_a_model_the_evidence_names_with_it(pipeline):
    """The overview says PointClip V2 uses "LLMs" and never which: the answer quoted that sentence and one on
    GPT4Tools, cited (session 43, probe set 8). Tk-Instruct's entry names the model it fine-tunes."""
    answer = pipeline.answer("Which LLM does PointClip V2 use to generate its 3D-specific prompts, GPT-3, GPT-4 or "
                             "something else?")
    assert answer.refused, answer.text
    question = "Tk-Instruct, c'est basé sur quel modèle ? et il bat vraiment InstructGPT alors qu'il est plus petit ?"
    _, evidence = pipeline.evidence(question)
    read = [text for e in evidence for text in (as_read(e), *e.hit.chunk.sentence_texts())]
    assert any(names_the_model(question, f"{as_read(e)} [{e.n}]", read) for e in evidence), read


def test_a_count_answers_no_year(pipeline):
    """The course page gives Google Search's "800개가 넘는 동의어 목록" and no date: the count was quoted as the year
    asked, cited (session 41, probe set 3)."""
    question = "구글 검색이 LLM 오프라인 추론으로 백신 관련 동의어 목록을 캐시했다는 예시 있잖아요, 그게 몇 년도 일이에요?"
    assert_no_evidence_states_the_figure(pipeline, question, "800")


def test_a_figure_of_an_entry_headed_in_hangul_is_not_given_to_another_model(pipeline):
    """The overview never says how many tokens StarCoder was trained on; its Chinchilla entry, headed "1.17 친칠라
    [122]:", gives "50억에서 5000억 개의 토큰", which the default model wrote about StarCoder, rescaled to "5 billion to
    500 billion tokens", cited (session 38, probe set 5)."""
    answer = pipeline.answer("how many tokens was StarCoder trained on?")
    assert answer.refused, answer.text


def test_a_count_the_documents_spell_out_answers_how_many(pipeline):
    """GLaM's "토큰마다 최상의 두 전문가만 사용하여 활성화됩니다." states the count in a word; read as no figure, the
    answer quoting it was refused (session 39, probe set 5)."""
    answer = pipeline.answer("MoE 모델 설계 중인데요, 계산 예산이 정해져 있으면 전문가(expert) 수를 늘리는 게 나아요? "
                             "그리고 GLaM은 토큰 하나당 전문가를 몇 개나 켜서 써요?")
    assert_cited_answer(answer, "ko")
    assert any(count in answer.text for count in ("두 전문가", "두 개", "2개", "2 개")), answer.text


def test_a_finding_listed_under_a_heading_in_the_passage_before_keeps_its_model(pipeline):
    """The overview's OPT-IML findings are split between two passages; the second one's "• 미세 조정 중 5% 정도의 사전
    훈련 데이터를 …" named no model, and an answer stating the 5% was refused as stating nothing about OPT-IML
    (session 39, probe set 5)."""
    _, evidence = pipeline.evidence("Pour notre instruction tuning, on se demande quoi mélanger : un peu de données de "
                                    "pré-entraînement ? des données de raisonnement ? du dialogue ? OPT-IML donne des "
                                    "proportions ?")
    five = [e for e in evidence if "5% 정도의 사전 훈련 데이터" in e.sentence]
    assert five and five[0].heading == "OPT-IML", [(e.heading, e.sentence) for e in evidence]


def test_each_part_of_a_question_asking_two_things_gets_its_evidence(pipeline):
    """The sentence naming the limitations scores low against the whole question, and was left out of the evidence
    (session 38, probe set 4)."""
    question = ("Could we just use a general LLM as a zero-shot model of the human in a human-robot interaction "
                "setup instead of training a specialized model? any known limitations?")
    _, evidence = pipeline.evidence(question)
    assert any("민감성" in e.sentence for e in evidence if e.answers_part), [e.sentence for e in evidence]


def test_the_figures_of_a_korean_sentence_reach_a_french_answer(pipeline):
    """"Alpaca는 text-davinci-003에서 52,000개의 샘플로 …, Vicuna는 ShareGPT.com에서 70,000개의 샘플로 …": read as
    52.000 before "개", the default model's sentence giving both counts was dropped as inventing 52000 and both
    translations of the quote were rejected; the answer named neither count (this session's probe set)."""
    answer = pipeline.answer("Alpaca et Vicuna (des LLaMA fine-tunés) : combien d'exemples d'entraînement chacun, "
                             "et d'où venaient les données ?")
    assert_cited_answer(answer, "fr")
    stated = strip_citation_markers(answer.text).replace("\u202f", " ")
    assert any(n in stated for n in ("52,000", "52 000", "52000")), answer.text
    assert any(n in stated for n in ("70,000", "70 000", "70000")), answer.text


def test_a_figure_stays_with_the_model_whose_finding_it_is(pipeline):
    """The overview's "Gopher: 280B 모델은 평가된 작업의 81%에서 GPT-3, … 등을 능가합니다." and GLaM's entry, which
    names GPT-3 too: the default model's lead gave Gopher's 81% to GLaM, and passed the check that a figure stays
    with its entity because the two sentences share GPT-3 (this session's probe set)."""
    answer = pipeline.answer("Gopher, ça allait de quelle taille à quelle taille ? et le plus gros modèle bat GPT-3 "
                             "sur combien de % des tâches évaluées ?")
    assert_cited_answer(answer, "fr")
    for sentence in re.split(r"(?<=[.!?])\s+", strip_citation_markers(answer.text)):
        assert "81" not in sentence or "GLaM" not in sentence or "Gopher" in sentence, answer.text


def test_follow_up_is_answered_in_context(pipeline):
    first = "파인튜닝한 LLM이 너무 무거워서 서빙 비용이 부담돼요. 증류(정제)하면 뭐가 좋아지나요?"
    answer = pipeline.answer("그럼 파인튜닝만 해도 파라미터 수가 줄어드나요?", history=[first])
    assert answer.standalone_question.startswith(first)
    # The rewrite brings the distillation passage (parameter counts) into the retrieved set.
    assert any("정제" in h.chunk.text and "매개변수" in h.chunk.text for h in answer.hits)


def test_cli_ask_json_has_the_documented_fields(corpus_settings):
    env_overrides = {
        "SURVEY_RAG_DATA_DIR": str(corpus_settings.data_dir),
        "SURVEY_RAG_EMBEDDING_CACHE_FILE": corpus_settings.embedding_cache_file,
    }
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "survey_rag.cli", "ask", "--json", "원샷 프롬프팅이랑 퓨샷 프롬프팅 차이가 뭐예요?"],
        capture_output=True, text=True, env={**os.environ, **env_overrides}, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"question", "language", "text", "refused", "citations"} <= set(data)
    assert data["language"] == "ko"
    for c in data["citations"]:
        assert {"n", "document", "language", "page", "passage", "support"} <= set(c)


def test_a_translation_does_not_evict_the_cached_instructions(generator):
    """llama.cpp keeps one prompt cache; the pinned answering instructions survive a translation call."""
    from rag.prompt import build_messages, build_translation_messages

    question = build_messages("What does distillation give?", "en", [])
    generator.pin_prompt(build_messages("?", "en", []))
    computed_fresh = "".join(generator.stream_chat(question, max_tokens=12))
    list(generator.stream_chat(build_translation_messages("증류는 작은 모델을 만든다.", "en"), max_tokens=8))
    generator.reset_perf()
    from_restored_state = "".join(generator.stream_chat(question, max_tokens=12))
    instructions = generator.count_tokens(build_messages("?", "en", [])[0]["content"])
    assert instructions > 100
    # Only the question's part was computed, not the instructions again ...
    assert generator.perf().prompt_tokens < 60
    # ... and the restored state is the real one: greedy decoding gives the same reply.
    assert from_restored_state == computed_fresh


def test_banned_words_are_kept_out_of_the_reply(generator):
    """The default model's bare "YES" (rag.prompt.NOT_A_REPLY) cannot be generated when banned; words
    that are several tokens of the model are left alone rather than half-banned."""
    from rag.prompt import NOT_A_REPLY

    ask = [{"role": "user", "content": "Reply with the single word YES in capital letters and nothing else."}]
    assert "".join(generator.stream_chat(ask, max_tokens=4)).strip().startswith("YES")
    banned = "".join(generator.stream_chat(ask, max_tokens=4, banned=NOT_A_REPLY))
    assert not banned.strip().startswith("YES"), banned
    assert set(generator._logit_bias(("YES",))) == {generator.llm.tokenize(w, add_bos=False)[0] for w in (b"YES", b" YES")}
    assert generator._logit_bias(("antidisestablishmentarianism",)) is None


@pytest.mark.parametrize("sentence, language", [
    # The overview's Korean translation (dev set): a first translation dropped "seq2seq", leaving the opposite claim.
    ("일반적으로 사용되는 디코더 전용 트랜스포머 모델과 비교하여 seq2seq 아키텍처는 문맥에 대한 강력한 양방향 어텐션을 통해 "
     "생성형 LLM을 훈련하기에 더 적합합니다.", "en"),
    ("LLaMA 2-Chat은 보상 모델링을 도움과 안전 보상으로 나누고, PPO에 추가로 거부 샘플링을 사용하여 정렬을 개선합니다.", "fr"),
])
def test_a_translation_asked_to_keep_names_keeps_them(generator, sentence, language):
    from rag.checks import kept_terms, lost_terms
    from rag.prompt import build_translation_messages, translation_text

    keep = kept_terms(sentence)
    reply = "".join(generator.stream_chat(build_translation_messages(sentence, language, keep), max_tokens=160))
    text = translation_text(reply, language, keep)
    assert lost_terms(sentence, text) == [], text
    assert detect_language(text) == language and "Keep these" not in text and "Garde tels" not in text, text


def test_no_quote_shows_a_translation_that_lost_its_names(corpus_settings, generator, embedder):
    """The real model rendered "CoT와 함께한 파인튜닝은 …" as "La pincée de sucre avec le pain au citron …"
    (dev set): whatever it writes now, a French quote of that sentence names CoT or is not shown."""
    from rag.checks import lost_terms
    from rag.compose import quote_evidence
    from rag.question import prepare_question
    from rag.types import Evidence
    from rag_fakes import make_hit, shown_while_quoting

    sentence = "CoT와 함께한 파인튜닝은 보유한 작업의 성능을 향상시킵니다."  # the overview's Korean translation
    hit = make_hit(sentence, language="ko")
    quoting = quote_evidence(prepare_question("Le fine-tuning avec CoT aide-t-il ?", [], 2000),
                             [Evidence(1, hit, sentence, 0.7)], generator, embedder.encode_documents, corpus_settings)
    seen, quotes = shown_while_quoting(quoting)
    display = seen[-1] if seen else ""
    assert all(lost_terms(sentence, q.text) == [] for q in quotes), [q.text for q in quotes]
    # A translation left out does not stay on the page while the answer is written.
    assert display == "" if not quotes else lost_terms(sentence, display) == [], display


@pytest.mark.parametrize("source, translation, faithful", [
    # The corpus's own translations: the French guide's sentence and its Korean counterpart.
    ("(1) 방대한 실무 지식 덕분에 LLM은 지식 집약적인 작업을 잘 처리합니다.",
     "(1) Grâce à l'énorme connaissance du monde réel, LLM est doué pour gérer des tâches à forte intensité de connaissances.",
     True),
    ("Google은 오픈소스 인코더-디코더에 상당한 기여를 해왔습니다.",
     "Google a apporté des contributions significatives aux encodeurs-décodeurs open source.", True),
    # What the default LLM wrote for two dev-set quotes: nonsense, and a sentence that lost its subject.
    ("CoT와 함께한 파인튜닝은 보유한 작업의 성능을 향상시킵니다.",
     "La pincée de sucre avec le pain au citron est une technique qui améliore la performance des tâches préparées.",
     False),
    ("이는 역스케일링 현상이라고도 알려져 있습니다.", "C'est un effet de réduction.", False),
])
def test_the_default_embedder_tells_a_translation_from_another_sentence(embedder, source, translation, faithful):
    from rag.verify import translation_fidelity

    fidelity = translation_fidelity(source, translation, embedder.encode_documents)
    assert (fidelity >= Settings().translation_floor) == faithful, fidelity


@pytest.mark.parametrize("quote, earlier, same", [
    # Run T's answers: the French guide's sentence beside the translation of its Korean twin, and the
    # model's lead beside a translated item saying the same.
    ("LLM est adapté : mais il existe également des tâches NLU plus adaptées dans LLM.",
     "Convient pour LLM : Cependant, il existe également certaines tâches NLU qui sont mieux adaptées pour être "
     "traitées par LLM.", True),
    ("WebGPT: The quality of LLM responses can be improved by incorporating human feedback.",
     "WebGPT found that LLM's answer quality can be improved by incorporating human feedback.", True),
    ("Therefore, many engineering teams use offline inference (also known as batch inference or static inference).",
     "Teams usually use offline inference (also known as batch or static inference) instead of online inference.", True),
    # Two findings of one entry, worded alike: both belong in the answer.
    ("LLaMA-2: 필터링되지 않은 데이터로 훈련된 모델은 더 독성이 있지만 fine-tuning 후에 하위 작업에서 더 좋은 성능을 발휘할 수 있습니다.",
     "LLaMA-2: 필터링되지 않은 데이터로 훈련된 모델은 안전 정렬을 위해 더 적은 샘플이 필요합니다.", False),
])
def test_the_default_embedder_tells_a_repeated_quote_from_another_finding(embedder, quote, earlier, same):
    from rag.verify import closest_similarity

    similarity = closest_similarity(quote, [earlier], embedder.encode_documents)
    assert (similarity >= Settings().quote_repeat_similarity) == same, similarity


@pytest.mark.parametrize("sentence, question", [
    ("작업 크기만 증가하는 것만으로는 충분하지 않지만, OPT-IML 및 Flan은 데이터셋에 제로샷, 퓨샷 및 CoT의 더 많은 프롬프트 설정을 추가합니다.",
     "Is it enough to add more tasks to an instruction-tuning mix?"),
    ("이는 종종 사람들에 의해 작성되며 크기가 작고 다양하지 않습니다.",
     "Quelles limites ont les jeux de données d'instructions écrits à la main ?"),
    # "-치 않", "-하지 않" contracted: "… réduit le comportement désirable …" (probe set 20)
    ("3. 인간의 선호도에 맞추기: LLM에 인간의 선호도를 통합하는 것은 원치 않는 행동을 완화하고 정확한 결과를 보장하는 데 중요한 "
     "장점을 제공합니다.", probe_item(20, "probe20-005").question),
])
def test_the_default_model_s_translation_of_a_negation_keeps_it_or_is_left_out(corpus_settings, embedder, generator,
                                                                             sentence, question):
    """Real path (the default model and embedder, ``quote_evidence``'s checks): translated by itself, "… 충분하지 않지만,
    …" came back as "The size of the work only increases, but …" (probe set 15), and "… 다양하지 않습니다." as "… a une
    taille petite et variée." (one-off script, session 50), and "… 원치 않는 행동을 완화하고 …" as "… réduit le
    comportement désirable …" (probe set 20); no quote says that."""
    from rag.compose import quote_evidence
    from rag.negation import drops_negation
    from rag.question import prepare_question
    from rag.types import Evidence
    from rag_fakes import make_hit, shown_while_quoting

    pipeline = RagPipeline(corpus_settings, embedder, generator)
    asked = prepare_question(question, [], 2000)
    quoting = quote_evidence(asked, [Evidence(1, make_hit(sentence, language="ko"), sentence, 0.7)], generator,
                             pipeline._embed_sentences, corpus_settings)
    quotes = shown_while_quoting(quoting)[1]
    assert all(not drops_negation(sentence, "ko", q.text, asked.language) for q in quotes), [q.text for q in quotes]


def test_the_default_model_s_translation_of_a_comparison_keeps_it_or_is_left_out(corpus_settings, embedder, generator):
    """Real path (the default model and embedder, ``quote_evidence``'s checks): translated by itself, the overview's
    "280B 모델은 … GPT-3 [6], Jurassic-1 [110], MT-NLG [115] 등을 능가합니다." came back as "280B model is able to
    evaluate 81% of the work with GPT-3, Jurassic-1, MT-NLG." (session 34); no quote says that."""
    from rag.comparison import drops_comparison
    from rag.compose import quote_evidence
    from rag.question import prepare_question
    from rag.types import Evidence
    from rag_fakes import make_hit, shown_while_quoting

    sentence = "280B 모델은 평가된 작업의 81%에서 GPT-3 [6], Jurassic-1 [110], MT-NLG [115] 등을 능가합니다."
    pipeline = RagPipeline(corpus_settings, embedder, generator)
    quoting = quote_evidence(prepare_question("How does Gopher compare with GPT-3?", [], 2000),
                             [Evidence(1, make_hit(sentence, language="ko"), sentence, 0.7)], generator,
                             pipeline._embed_sentences, corpus_settings)
    quotes = shown_while_quoting(quoting)[1]
    assert all(not drops_comparison(sentence, q.text) for q in quotes), [q.text for q in quotes]


def test_the_default_model_s_answer_does_not_deny_the_finding_it_cites(pipeline):
    """The default model's lead to probe29-013 said GLaM found filtered data does not improve performance, cited to
    GLaM's finding that it does better (rag.lead.denies_its_ground): whatever it writes now, no sentence of the answer
    denies what the passage sentence it is cited to says."""
    from rag.lead import denies_its_ground
    from rag.verify import source_passages
    from rag.cite import attach_citations

    item = probe_item(29, "probe29-013")
    answer = pipeline.answer(item.question)
    assert not answer.refused, answer.text
    hits, evidence = pipeline.evidence(item.question)
    passages = source_passages(pipeline.retriever().index, evidence)
    grounds = attach_citations(answer.text, passages, pipeline._embed_sentences, pipeline.settings.support_threshold).grounds
    assert not denies_its_ground(grounds, item.question, "en"), answer.text


def test_no_quote_shows_a_translation_that_invents_a_name(corpus_settings, generator, embedder):
    """The default model translated BLOOM's entry "… LLM을 오픈소스화하기 위해 개발되었습니다." as "… developed by OpenAI to
    open-source LLMs." (probe set 30): whatever it writes now, an English quote of that sentence names nothing the
    sentence does not, or is not shown."""
    from rag.checks import invented_names
    from rag.compose import quote_evidence
    from rag.question import prepare_question
    from rag.types import Evidence
    from rag_fakes import make_hit, shown_while_quoting

    sentence = "BLOOM: ROOTS 말뭉치에서 훈련된 인과 디코더 모델인 BLOOM은 LLM을 오픈소스화하기 위해 개발되었습니다."
    question = prepare_question("Where was BLOOM trained, and why was it developed?", [], 2000)
    quoting = quote_evidence(question, [Evidence(1, make_hit(sentence, language="ko"), sentence, 0.7)], generator,
                             embedder.encode_documents, corpus_settings)
    seen, quotes = shown_while_quoting(quoting)
    known = f"{question.text} {sentence}"
    assert all(invented_names(q.text, known) == [] for q in quotes), [q.text for q in quotes]
    assert invented_names(seen[-1] if seen else "", known) == [], seen
