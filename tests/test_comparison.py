"""rag.comparison: a restatement that turns a comparison round is caught; faithful ones are not."""

import pytest

from rag.checks import check_answer
from rag.comparison import against_the_sources, comparison, drops_comparison, reverses_comparison

# The overview's AlexaTM finding, and the default model's translation of it (dev-103).
SEQ2SEQ = ("일반적으로 사용되는 디코더 전용 트랜스포머 모델과 비교하여 seq2seq 아키텍처는 문맥에 대한 강력한 양방향 어텐션을 "
           "통해 생성형 LLM을 훈련하기에 더 적합합니다.")
REVERSED = ("AlexaTM: Generally, the decoder-only transformer model used in practice is more suitable for training "
            "generative LLMs than a seq2seq architecture.")
FAITHFUL = ("Compared to the commonly used decoder-only transformer models, the seq2seq architecture is more suitable "
            "for training generative LLMs thanks to strong bidirectional attention.")


def test_a_translation_that_turns_the_comparison_round_is_caught():
    assert reverses_comparison(SEQ2SEQ, REVERSED)
    assert not reverses_comparison(SEQ2SEQ, FAITHFUL)


@pytest.mark.parametrize("source, restated, reversed_", [
    ("미세 조정 모델이 LLM보다 훨씬 뛰어난 성능을 보였습니다.", "LLMs performed much better than fine-tuned models.", True),
    ("미세 조정 모델이 LLM보다 훨씬 뛰어난 성능을 보였습니다.", "Les modèles affinés surpassent nettement les LLM.", False),
    ("미세 조정 모델이 LLM보다 훨씬 뛰어난 성능을 보였습니다.", "Par rapport aux LLM, les modèles affinés sont bien meilleurs.", False),
    ("Le LLM est plus adapté que le modèle BERT.", "BERT 모델이 LLM보다 더 적합합니다.", True),
    ("Le LLM est plus adapté que le modèle BERT.", "LLM은 BERT 모델보다 더 적합합니다.", False),
    # Only what stands right before "보다" is compared against: GLaM is the subject.
    ("가장 큰 GLaM 모델인 GLaM (64B/64E)은 GPT-3 [6]보다 약 7배 더 큽니다.", "GPT-3 is about 7 times larger than GLaM.", True),
    ("가장 큰 GLaM 모델인 GLaM (64B/64E)은 GPT-3 [6]보다 약 7배 더 큽니다.", "GLaM (64B/64E) is about 7 times larger than GPT-3.", False),
])
def test_the_names_keep_their_side_of_the_comparison(source, restated, reversed_):
    assert reverses_comparison(source, restated) is reversed_


@pytest.mark.parametrize("source, restated, dropped", [
    # The default model's translations of the corpus's comparisons (one-off script, session 34).
    ("280B 모델은 평가된 작업의 81%에서 GPT-3 [6], Jurassic-1 [110], MT-NLG [115] 등을 능가합니다.",
     "280B model is able to evaluate 81% of the work with GPT-3, Jurassic-1, MT-NLG.", True),
    ("이 모델은 GPT-4, PaLM, BLOOM, OPT 등을 능가하며, LLaMA의 일관된 숫자 토큰화를 성공의 원인으로 귀착시킵니다.",
     "Ce modèle est capable de GPT-4, PaLM, BLOOM, OPT et utilise un alignement de tokens LLaMA cohérent.", True),
    # Compared in other words: kept.
    ("4. DeepNorm: 사전-LN은 사후-LN 훈련에 비해 특정 이점을 가지지만, …",
     "4. DeepNorm: Pre-LN is a method that has some advantages over Post-LN training.", False),
    ("정렬을 위한 더 적은 것 (LIMA) [177]은 GPT-4와 비교하여 비슷한 성능을 달성하였습니다.",
     "LIMA a réussi à atteindre des performances similaires à celles du GPT-4.", False),
    ("기존 자연어 이해 작업의 경우 일반적으로 미세 조정 모델이 LLM보다 더 나은 선택입니다.",
     "Dans les tâches de compréhension, un modèle affiné est préférable à un modèle LLM.", False),
    # What it compares against is gone: that is ``lost_terms``'s to catch, not this.
    ("이로써 MT-NLG는 여러 평가에서 GPT-3를 능가합니다.", "Thus, MT-NLG did well in several evaluations.", False),
    # The source compares nothing.
    ("LLM은 다양한 작업에서 좋은 성능을 보입니다.", "LLMs perform well on many tasks.", False),
])
def test_a_translation_that_compares_nothing_where_its_source_compares_is_caught(source, restated, dropped):
    assert drops_comparison(source, restated) is dropped


@pytest.mark.parametrize("sentence", [
    "LLM은 다양한 작업에서 좋은 성능을 보입니다.",  # no comparison
    "최근의 혁신은 GPT-3 기반 ChatGPT로, 보다 대화형인 대화를 생성합니다.",  # "보다" alone is the adverb "more"
    "Les entreprises ferment de plus en plus de modèles tels que PaLM, que GPT-4 rejoint.",  # "increasingly"
    "GPT-4 is better than GPT-3, and PaLM is larger than LaMDA.",  # two comparisons: not judged
])
def test_a_sentence_without_one_comparison_is_not_judged(sentence):
    assert comparison(sentence) is None
    assert not reverses_comparison(sentence, "LaMDA is better than PaLM, GPT-3 and GPT-4.")


def test_a_claim_is_against_the_sources_only_when_no_source_compares_its_way():
    nlu = "기존 자연어 이해 작업의 경우 일반적으로 미세 조정 모델이 LLM보다 더 나은 선택입니다."
    knowledge = "LLM은 지식 집약적 작업에서 미세 조정 모델보다 더 적합합니다."
    claim = "For knowledge-intensive tasks, LLMs are better than fine-tuned models."
    assert against_the_sources(claim, [nlu])
    # The evidence holds findings both ways (for different tasks): the claim is one of them.
    assert not against_the_sources(claim, [nlu, knowledge])
    assert not against_the_sources("Fine-tuned models are better than LLMs for NLU.", [nlu])
    # A claim stating a figure the comparing source does not state (from another sentence) does not restate it.
    scarce = "(2) Lorsque les données étiquetées sont limitées, le LLM est meilleur que le modèle affiné."
    assert against_the_sources("With few labels, the fine-tuned model is better than an LLM.", [scarce])
    assert not against_the_sources("Below 20B parameters, a model is fine-tuned territory rather than an LLM.",
                                   [scarce, "(<20B 파라미터를 미세조정 수준으로 간주)"])


def test_an_answer_sentence_that_reverses_its_evidence_is_dropped():
    answer = f"{REVERSED} [1] Mixed pre-training is the key to a strong seq2seq LLM. [1]"
    checked = check_answer(answer, "en", known=SEQ2SEQ, sources=[SEQ2SEQ])
    assert checked.text == "Mixed pre-training is the key to a strong seq2seq LLM. [1]"
    assert [d.reason for d in checked.dropped] == ["compares the other way round from its evidence"]
    assert check_answer(f"{FAITHFUL} [1]", "en", known=SEQ2SEQ, sources=[SEQ2SEQ]).dropped == ()
    # dev-011's answer: its figure comes from a sentence that compares nothing.
    scarce = "(2) Lorsque les données étiquetées sont limitées, le LLM est meilleur que le modèle affiné."
    review = "(<20B 파라미터를 미세조정 수준으로 간주)"
    claim = "Below 20B parameters, a model is fine-tuned territory rather than an LLM. [2]"
    assert check_answer(claim, "en", known=f"{scarce} {review}", sources=[scarce, review]).text == claim


@pytest.mark.slow
def test_the_corpus_own_translations_keep_their_comparisons(embedder):
    """No false alarm on real translations: the bundled practical guide in French and in Korean, each French
    sentence paired with its nearest Korean one by the default embedder."""
    from conftest import CORPUS
    from core.text import split_sentences

    def sentences(name: str) -> list[str]:
        lines = [line.strip() for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()]
        return [line[s.start:s.end] for line in lines for s in split_sentences(line) if s.end - s.start >= 30]

    french = sentences("harnessing-llms-practical-guide.fr.txt")
    korean = sentences("harnessing-llms-practical-guide.ko.txt")
    nearest = (embedder.encode_documents(french) @ embedder.encode_documents(korean).T).argmax(1)
    pairs = [(fr, korean[j]) for fr, j in zip(french, nearest)]
    judged = [(fr, ko) for fr, ko in pairs if (a := comparison(fr)) and (b := comparison(ko)) and (a.against or b.against)]
    # "… les modèles affinés surpassent légèrement les LLM" and "… 미세 조정 모델이 LLM보다 약간 더 나은 …"
    assert len(judged) >= 2
    assert [p for p in judged if reverses_comparison(p[1], p[0]) or reverses_comparison(p[0], p[1])] == []
    assert [p for p in pairs if drops_comparison(p[1], p[0]) or drops_comparison(p[0], p[1])] == []
