"""The page's catalogue: every entry in the three languages with the same fields, and the lower
layers' error messages translated by their pattern."""

from __future__ import annotations

import string

import pytest

from rag.question import QuestionError, validate_question
from ui import i18n, render
from ui.viewer import ViewerError, ViewerTarget


def fields(words: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(words) if name}


@pytest.mark.parametrize("key", sorted(i18n.CATALOGUE))
def test_every_entry_has_korean_french_and_english_with_the_same_fields(key):
    entry = i18n.CATALOGUE[key]
    assert set(entry) == set(i18n.LANGUAGES) and all(entry[lang].strip() for lang in i18n.LANGUAGES)
    assert fields(entry["ko"]) == fields(entry["fr"]) == fields(entry["en"])


def test_every_error_pattern_names_an_entry_whose_fields_it_captures():
    for pattern, key in i18n.ERRORS:
        assert fields(i18n.CATALOGUE[key]["en"]) == set(pattern.groupindex)


def question_error(text: str, limit: int = 50) -> str:
    with pytest.raises(QuestionError) as caught:
        validate_question(text, limit)
    return str(caught.value)


def test_the_real_question_and_viewer_errors_are_translated():
    assert i18n.error_text(question_error("  ?! "), "ko") == i18n.text("empty_question", "ko")
    assert i18n.error_text(question_error("word " * 30), "fr") == i18n.text("long_question", "fr", n="149", limit="50")
    with pytest.raises(ViewerError) as caught:
        ViewerTarget.parse("{not json")
    assert i18n.error_text(str(caught.value), "fr") == i18n.text("bad_reference", "fr")
    assert i18n.error_text("a b.pdf: no page 9 (the document has 3)", "ko") == "a b.pdf: 9 페이지가 없습니다 (문서는 3페이지)"
    assert i18n.error_text("disk full", "ko") == "disk full"  # unknown: as it is


def test_the_english_wording_is_the_default_and_unknown_languages_fall_back_to_it():
    assert i18n.text("sources_cited", "de", n=2) == "Cited passages (2)"
    assert render.document_headers("fr")[0] == "Titre" and render.document_headers()[0] == "Title"
    assert "인용된 구절" not in render.sources_placeholder("ko") and "출처" in render.sources_placeholder("ko")
