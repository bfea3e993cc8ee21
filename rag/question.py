"""The first stage of answering: check the question and work out what to search with.

Example:
    >>> q = prepare_question("그럼 파인튜닝만 해도 되나요?", ["정제(증류)하면 뭐가 좋아지나요?"], max_chars=2000)
    >>> q.language, q.search_text, q.context
    ('ko', '정제(증류)하면 뭐가 좋아지나요? 그럼 파인튜닝만 해도 되나요?', '정제(증류)하면 뭐가 좋아지나요?')
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Sequence

from core.errors import UserFacingError
from core.language import detect_language
from core.text import CONTROL_CHARS, LETTER
from rag.conversation import standalone_question


class QuestionError(UserFacingError, ValueError):
    """The question cannot be answered as asked (empty, too long); the message says why."""


@dataclass(frozen=True)
class Question:
    text: str  # as asked, cleaned
    language: str  # the language to answer in
    search_text: str  # what retrieval searches with (a follow-up carries the previous question)
    context: str  # the previous question when this one follows up on it, else ""


def validate_question(question: str, max_chars: int) -> str:
    """The question, cleaned, or a QuestionError saying what is wrong with it.

    Cleaning: NFC (decomposed accents and Hangul match the documents), no control or invisible
    characters, and no undecodable halves of characters (a lone surrogate from a broken client
    would make the tokenizers raise)."""
    text = unicodedata.normalize("NFC", (question or "").encode("utf-8", "replace").decode("utf-8"))
    text = CONTROL_CHARS.sub("", text).strip()
    if not LETTER.search(text):
        raise QuestionError("Please type a question (the message was empty or had no words).")
    if len(text) > max_chars:
        raise QuestionError(
            f"The question is too long ({len(text):,} characters; the limit is {max_chars:,}). Please shorten it."
        )
    return text


def prepare_question(question: str, history: Sequence[str], max_chars: int) -> Question:
    """``history`` holds the previous questions of the conversation, oldest first."""
    text = validate_question(question, max_chars)
    search_text = standalone_question(text, history)
    context = history[-1] if history and search_text != text else ""
    return Question(text=text, language=detect_language(text), search_text=search_text, context=context)
