"""rag.negation: a translation that drops its source's negation (the default model's own translations)."""

import pytest

from rag.negation import adds_negation, denies, drops_negation, negates


@pytest.mark.parametrize("source, translation, language", [
    ("이는 종종 사람들에 의해 작성되며 크기가 작고 다양하지 않습니다.", "This is often written by people and is small and varied.", "en"),
    ("이는 종종 사람들에 의해 작성되며 크기가 작고 다양하지 않습니다.",
     "C'est généralement écrit par des gens et a une taille petite et variée.", "fr"),
    ("Transformer 기반 모델은 회색으로 표시되지 않습니다.", "Le modèle basé sur l'information est affiché en gris.", "fr"),
    ("많은 LLM은 제로샷 추정을 수행할 수 없는 RoPE 위치 임베딩을 사용합니다.",
     "Many LLMs use RoPE embedding at the zero-shot prediction position.", "en"),
    # "-하지 않" contracted (probe set 20)
    ("LLM에 인간의 선호도를 통합하는 것은 원치 않는 행동을 완화하고 정확한 결과를 보장합니다.",
     "Intégrer les préférences humaines est une action désirée qui réduit le comportement désirable.", "fr"),
    # "아닙니다": 아니 and 다 fused into one syllable
    ("실제 의견은 실제 사람들로부터 나오며, 이들 중 대부분은 전문가가 아닙니다.",
     "Real opinions come from real people, most of whom are experts.", "en"),
])
def test_a_translation_saying_the_opposite_drops_the_negation(source, translation, language):
    assert drops_negation(source, "ko", translation, language)


def test_a_korean_translation_saying_the_opposite_drops_the_negation():
    assert drops_negation("The model cannot generalize to unseen lengths.", "en", "이 모델은 보이는 길이로 일반화합니다.", "ko")
    assert not drops_negation("The model cannot generalize to unseen lengths.", "en", "이 모델은 일반화할 수 없습니다.", "ko")


@pytest.mark.parametrize("source, source_language, translation, language", [
    ("이는 종종 사람들에 의해 작성되며 크기가 작고 다양하지 않습니다.", "ko", "It is small and not diverse.", "en"),
    # a word of the translation's own says it
    ("그러나 현실 세계에서 모델의 효과를 평가하는 것은 아직 해결되지 않은 문제로 남아 있습니다.", "ko",
     "However, the problem of evaluating the effectiveness of models in the real world remains unresolved.", "en"),
    ("연구자들은 샘플이 거의 없거나 전혀 없는 경우에도 성능이 크게 향상될 수 있음을 발견했습니다.", "ko",
     "Les chercheurs ont découvert que la performance peut s'améliorer même lorsque les données sont inexistantes.", "fr"),
    ("훈련 없는 외삽: LM-Infinite와 PCW는 길이 외삽이 가능함을 보여줍니다.", "ko",
     "Training-free extrapolation: LM-Infinite and PCW show that length extrapolation is possible.", "en"),
    # the source's own negating word kept as written
    ("Non applicable LLM : sur la plupart des tâches de traduction, les modèles affinés fonctionnent mieux.", "fr",
     "Non applicable LLM: for most translation tasks, the fine-tuned models perform better.", "en"),
    ("LLM에 인간의 선호도를 통합하는 것은 원치 않는 행동을 완화합니다.", "ko",
     "Intégrer les préférences humaines atténue les comportements indésirables.", "fr"),
    # no negation in the source: "아니면" is "or", "뿐만 아니라" "not only … but also", "끊임없이" "ceaselessly"
    ("LLM을 선택해야 할까요, 아니면 모델을 미세 조정해야 할까요?", "ko", "Should you choose an LLM or fine-tune a model?", "en"),
    ("데이터에 대한 이해뿐만 아니라 모델의 한계에 대한 이해가 필요합니다.", "ko",
     "It takes an understanding of the data as well as of the model's limits.", "en"),
    ("모델은 끊임없이 개선됩니다.", "ko", "Le modèle s'améliore sans cesse.", "fr"),
])
def test_a_translation_keeping_the_negation_or_a_source_negating_nothing_passes(source, source_language, translation,
                                                                               language):
    assert not drops_negation(source, source_language, translation, language)


def test_negation_in_each_language():
    assert negates("Le modèle n'a pas besoin d'étiquettes.", "fr")
    assert negates("The model does not need labels.", "en")
    assert negates("모델은 레이블이 필요 없습니다.", "ko")
    assert not negates("The model needs labels.", "en")
    assert not negates("모델은 끊임없이 개선됩니다.", "ko")


@pytest.mark.parametrize("sentence, language, denied", [
    ("Training on filtered data does not improve performance.", "en", True),
    ("It can't generalise to unseen lengths.", "en", True),
    ("Le filtrage n'améliore pas les performances.", "fr", True),
    ("Il ne faut plus l'utiliser.", "fr", True),
    ("필터링된 데이터는 성능을 향상시키지 않습니다.", "ko", True),
    ("디코더 전용 모델은 인기가 없었습니다.", "ko", True),
    # a word negated describes something; "not only" and "ne … que" deny nothing
    ("Red teaming uses prompts that cause unwanted, non-compliant replies.", "en", False),
    ("Des prompts qui provoquent des réponses non souhaitées.", "fr", False),
    ("리소스가 거의 없는 기계 번역에서 미세 조정 모델이 더 낫습니다.", "ko", False),
    ("필터링되지 않은 데이터로 훈련된 모델은 더 독성이 있습니다.", "ko", False),
    ("It is not only fast but also cheap.", "en", False),
    ("On ne l'utilise que pour la traduction.", "fr", False),
])
def test_a_sentence_denies_what_it_says_when_a_predicate_is_negated(sentence, language, denied):
    assert denies(sentence, language) is denied


FILTERED = "필터링된 데이터로 훈련된 모델은 NLG 및 NLU 작업 모두에서 일관되게 더 좋은 성능을 보여줍니다."


@pytest.mark.parametrize("source, restated, added", [
    # the default model's lead (probe set 29) and the sentence it rested on
    (FILTERED, "GLaM reports that training on filtered data does not improve performance.", True),
    (FILTERED, "GLaM reports that training on filtered data improves performance in NLG and NLU.", False),
    # the source negates, or says "not A but B", or says it with a word of its own
    ("초기에는 디코더 전용 모델이 인코더 전용 모델만큼 인기가 없었습니다.", "Decoder-only models were not as popular at first.", False),
    ("광고 게재 시 검색어에 응답하는 것이 아니라 예측을 미리 캐시합니다.", "Ads do not answer queries live; predictions are cached.", False),
    ("필요한 지식은 LLM이 실제 세계에 대해 배우는 것이 아닙니다.", "The knowledge needed is not what LLMs learn about the world.",
     False),
    ("The retriever is insufficient for long documents.", "Le retriever ne suffit pas pour les longs documents.", False),
])
def test_a_restatement_denying_a_source_that_negates_nothing_adds_a_negation(source, restated, added):
    source_language = "en" if source.isascii() else "ko"
    language = "fr" if "ne suffit" in restated else "en"
    assert adds_negation(source, source_language, restated, language) is added
