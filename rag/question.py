"""The first stage of answering: check the question and work out what to search with.

Example:
    >>> q = prepare_question("그럼 파인튜닝만 해도 되나요?", ["정제(증류)하면 뭐가 좋아지나요?"], max_chars=2000)
    >>> q.language, q.search_text, q.context
    ('ko', '정제(증류)하면 뭐가 좋아지나요? 그럼 파인튜닝만 해도 되나요?', '정제(증류)하면 뭐가 좋아지나요?')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from core.errors import UserFacingError
from core.language import detect_language
from core.text import CONTROL_CHARS, LETTER
from rag.conversation import standalone_question


# Where a question asking several things divides: between its sentences, and between clauses joined by "and"
# ("… , and what did sparse attention do about it?", "…에서 만들어졌고, 중국어 NLP 작업 몇 개에서 …").
# Not after "i.e." or "e.g.": "what's its pass@1 on HumanEval, i.e. with a single sample?" asks one thing.
_SENTENCE_BREAK = re.compile(r"(?<=[?？])\s+|(?<=[.!])(?<!\b[a-z]\.[a-z]\.)\s+(?=\S)")
# A sentence asking without a question mark: "… 어떻게 잡았는지 알려주세요.", "… 몇 개 그룹으로 묶었는지도 알고 싶어요.",
# "Tell me …", "Dites-moi …", "J'aimerais savoir …".
_REQUEST = re.compile(r"알려\s*(?:주|줘)|궁금|알고\s*싶|설명해|말해\s*(?:주|줘)|가르쳐|\btell me\b|\bexplain\b|\bI(?:'d| would) like to know\b"
                      r"|\bI wonder\b|\bdites(?:-moi)?\b|\bexpliqu|\bsavoir\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(
    r",\s+(?:and|but|or|et|mais|ou)\s+|\s+and\s+(?=(?:what|which|how|why|when|where|who|is|are|does|did|do|can)\b)"
    r"|(?<=[가-힣][고데]),\s+|\s+그리고\s+",
    re.IGNORECASE)


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


def asking_sentences(text: str) -> list[str]:
    """The sentences of a question that ask: those ending with a question mark or making a request (all of them when
    none does). The rest is context: "새 도메인 데이터가 몇 달마다 계속 들어와서 … 걱정이에요." asks no figure, and was
    refused for stating none (probe set 13).

    >>> asking_sentences("새 데이터가 몇 달마다 들어와요. PanGu-Σ는 뭐가 핵심이라고 하는지 알려주세요.")
    ['PanGu-Σ는 뭐가 핵심이라고 하는지 알려주세요.']
    >>> asking_sentences("Je cherche le nom des auteurs. Qui a écrit le guide ?")
    ['Qui a écrit le guide ?']
    >>> asking_sentences("what's its pass@1 on HumanEval, i.e. with a single sample?")
    ["what's its pass@1 on HumanEval, i.e. with a single sample?"]
    """
    sentences = question_sentences(text)
    return [s for s in sentences if s.endswith(("?", "？")) or _REQUEST.search(s)] or sentences


def question_parts(text: str) -> list[str]:
    """The parts of a question that asks several things ([] when it asks one). A sentence answering the second
    part scores low against the whole question: "… any known limitations?" and the sentence naming them
    ("그러나 프롬프트에 대한 민감성과 … 제한 사항이 확인되었습니다.") were left out of the evidence (probe set 4).
    Only the sentences that ask count when some sentence ends with a question mark: a sentence of context ("Je
    cherche le nom des auteurs.", "our fine-tuning set is pretty small btw") taken as a part brought in a sentence
    about it in place of one answering the question (three answers lost, session 38). A request after a question
    ("… 어떻게 잡았는지 알려주세요.", ``asking_sentences``) taken as a part too changed the evidence of 30 of the 508
    questions of all sets, and of their answers one traded two facts for one (probe-022) and none gained (session 48).

    >>> question_parts("How does Galactica feed reasoning data to the model, and did it pay off?")
    ['How does Galactica feed reasoning data to the model', 'did it pay off?']
    >>> question_parts("ERNIE 3.0은 어떤 구조로 만들어졌고, 몇 개의 작업에서 최고 성능을 냈어요?")
    ['ERNIE 3.0은 어떤 구조로 만들어졌고', '몇 개의 작업에서 최고 성능을 냈어요?']
    >>> question_parts("Quand faut-il distiller un modèle ? Je cherche un cas concret.")
    []
    """
    sentences = question_sentences(text)
    asking = [sentence for sentence in sentences if sentence.endswith(("?", "？"))] or sentences
    parts = [clause.strip() for sentence in asking for clause in _CLAUSE_BREAK.split(sentence)
             if len(clause.split()) > 1]
    return parts if len(parts) > 1 else []


def question_sentences(text: str) -> list[str]:
    """The sentences of a question as the asker wrote them."""
    return [sentence.strip() for sentence in _SENTENCE_BREAK.split(text) if sentence.strip()]


def prepare_question(question: str, history: Sequence[str], max_chars: int) -> Question:
    """``history`` holds the previous questions of the conversation, oldest first."""
    text = validate_question(question, max_chars)
    search_text = standalone_question(text, history)
    context = history[-1] if history and search_text != text else ""
    return Question(text=text, language=detect_language(text), search_text=search_text, context=context)
