"""Language detection restricted to Korean, French and English."""

from __future__ import annotations

import pytest

from helpers_ingest import CORPUS
from core.language import detect_language, document_languages, hangul_share, reads_as


@pytest.mark.parametrize(
    "text, expected",
    [
        ("디코더 전용 모델이 왜 주류가 되었나?", "ko"),
        ("GPT-3와 BERT의 차이는?", "ko"),  # Korean question full of English names
        ("LoRA란 무엇인가요? What is LoRA?", "ko"),
        ("Quand faut-il distiller un modèle ?", "fr"),
        ("Qu'est-ce que le RLHF ?", "fr"),
        ("LLM vs fine-tuned model pour NER?", "fr"),  # mixed: English terms, French grammar
        ("When should I distill a model instead of prompting it?", "en"),
        ("What is RLHF?", "en"),
        ("fine-tuning vs prompting", "en"),
        # French typed without accents among English terms, and an English sentence citing French names.
        ("GPT-NeoX-20B met l'attention et le feed-forward en parallele, ca sert a quoi ?", "fr"),
        ("Le Scao et al. trained BLOOM on the ROOTS corpus with Megatron-DeepSpeed.", "en"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_no_letters_gives_default():
    assert detect_language("12345 !!! 3.14", default="fr") == "fr"
    assert detect_language("", default="ko") == "ko"


def test_a_french_sentence_with_english_terms_and_only_a_circumflex_is_french():
    assert detect_language("Le fine-tuning standard coûte cher en calcul car", "fr") == "fr"


@pytest.mark.parametrize("text", ["GPT-3, OPT, PaLM et BLOOM", "PubMedQA: 77.6%\nMedMCQA dev: 52.9%", "LLM."])
def test_names_and_figures_read_as_any_language(text):
    assert all(reads_as(text, language) for language in ("ko", "fr", "en"))


def test_prose_reads_as_its_own_language_only():
    assert reads_as("The distilled model is much smaller.", "en") and not reads_as("The distilled model is much smaller.", "fr")
    assert reads_as("증류된 모델은 훨씬 작습니다.", "ko") and not reads_as("증류된 모델은 훨씬 작습니다.", "en")


def test_hangul_share():
    assert hangul_share("모델") == 1.0
    assert hangul_share("model") == 0.0
    assert hangul_share("모델 model") == pytest.approx(2 / 7)
    assert hangul_share("123") == 0.0


def test_document_languages_most_frequent_first():
    texts = ["안녕하세요, 모델입니다.", "This is English text about models.", "또 한국어 문장입니다.", "  "]
    assert document_languages(texts) == ("ko", "en")
    assert document_languages([]) == ()


@pytest.mark.parametrize(
    "name, expected",
    [
        ("harnessing-llms-practical-guide.fr.txt", "fr"),
        ("harnessing-llms-practical-guide.ko.txt", "ko"),
        ("llm-finetuning-distillation-prompting-course.ko.txt", "ko"),
    ],
)
def test_corpus_paragraphs(name, expected):
    paragraphs = [p for p in (CORPUS / name).read_text(encoding="utf-8").split("\n") if len(p) > 200][:5]
    assert paragraphs
    assert [detect_language(p) for p in paragraphs] == [expected] * len(paragraphs)


def test_mixed_review_has_english_abstract():
    text = (CORPUS / "harnessing-llms-paper-review.ko-en.txt").read_text(encoding="utf-8")
    abstract = next(line for line in text.split("\n") if line.startswith("This paper presents"))
    assert detect_language(abstract) == "en"
    assert detect_language(text.split("\n")[1]) == "ko"
