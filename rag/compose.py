"""Composition: the final ``Answer`` from a verified reply, or from the evidence when the reply was
not usable (translated into the question's language when the evidence is in another one), with its
citations and the notice that tells the asker what they are reading.

Example:
    >>> answer = yield from compose_answer(base, cited, evidence, passages, ...)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Generator as Gen
from typing import Sequence

from core.language import detect_language
from core.settings import Settings
from core.text import split_sentences
from rag.checks import check_answer, has_off_language_sentence, is_off_language, is_prose, without_foreign_asides
from rag.cite import CitedAnswer, SourcePassage, attach_citations, strip_markers
from rag.draft import as_token_events, is_degenerate, stream_reply
from rag.llm.base import Generator
from rag.prompt import build_translation_messages
from rag.question import Question
from rag.types import Answer, Citation, Evidence, Hit, TokenEvent
from rag.verify import Embed, known_text

log = logging.getLogger(__name__)

REFUSAL = {
    "ko": "제공된 문서에는 이 질문에 대한 답이 없습니다. 가장 가까운 구절을 아래에 표시합니다.",
    "fr": "Les documents disponibles ne répondent pas à cette question. Les passages les plus proches sont affichés ci-dessous.",
    "en": "The documents do not answer this question. The nearest passages are shown below.",
}
FALLBACK_NOTICE = {
    "ko": "모델의 답변을 사용할 수 없어, 가장 관련 있는 문장을 그대로 보여 드립니다.",
    "fr": "La réponse du modèle était inutilisable ; voici les phrases les plus pertinentes des documents.",
    "en": "The model's answer was unusable; these are the most relevant sentences from the documents.",
}
TRANSLATED_NOTICE = {
    "ko": "모델의 답변을 사용할 수 없어, 가장 관련 있는 문장을 번역해 보여 드립니다.",
    "fr": "La réponse du modèle était inutilisable ; voici la traduction des phrases les plus pertinentes des documents.",
    "en": "The model's answer was unusable; this is a translation of the most relevant sentences from the documents.",
}
UNCITED_NOTICE = {
    "ko": "답변의 문장을 구절과 대조할 수 없어, 답변의 근거가 된 구절을 첨부했습니다.",
    "fr": "Aucune phrase de la réponse n'a pu être rattachée à un passage ; voici les passages utilisés.",
    "en": "No sentence of the answer could be matched to a passage; these are the passages it was based on.",
}

_SAME_LANGUAGE_MARGIN = 0.1


@dataclass(frozen=True)
class AnswerBase:
    """What every answer to the question carries, whatever its text."""

    question: Question
    hits: tuple[Hit, ...]
    timings: dict[str, float]

    def answer(self, text: str, refused: bool, citations: tuple[Citation, ...] = (), notice: str = "") -> Answer:
        return Answer(question=self.question.text, language=self.question.language, text=text, refused=refused,
                      citations=citations, hits=self.hits, standalone_question=self.question.search_text,
                      notice=notice, timings=self.timings)


def refusal(base: AnswerBase) -> Answer:
    return base.answer(REFUSAL[base.question.language], refused=True)


def compose_answer(base: AnswerBase, cited: CitedAnswer | None, evidence: Sequence[Evidence],
                   passages: Sequence[SourcePassage], embed: Embed, generator: Generator, settings: Settings,
                   max_tokens: int | None = None) -> Gen[TokenEvent, None, Answer]:
    """The answer from the verified reply, or (``cited`` None) from the evidence sentences."""
    notice = ""
    if cited is None:
        cited, notice = yield from _evidence_answer(base.question, evidence, passages, embed, generator, settings,
                                                    max_tokens or settings.max_answer_tokens)
    citations = cited.citations
    if not citations:
        notice = notice or UNCITED_NOTICE[base.question.language]
        citations = evidence_citations(evidence)
    return base.answer(cited.text, refused=False, citations=citations, notice=notice)


def _evidence_answer(question: Question, evidence: Sequence[Evidence], passages: Sequence[SourcePassage],
                     embed: Embed, generator: Generator, settings: Settings,
                     max_tokens: int) -> Gen[TokenEvent, None, tuple[CitedAnswer, str]]:
    """The best evidence sentences as the answer, translated when they are in another language."""
    language = question.language
    # without_foreign_asides: e.g. an instruction planted inside a passage
    shown = [(without_foreign_asides(e.sentence, language), e.n)
             for e in fallback_evidence(evidence, language, settings.refusal_threshold)]
    text, notice = " ".join(f"{sentence} [{n}]" for sentence, n in shown), FALLBACK_NOTICE[language]
    threshold = settings.support_threshold
    if detect_language(text, language) != language or has_off_language_sentence(text, language):
        messages = build_translation_messages(strip_markers(text)[0], language)
        reply = yield from as_token_events(stream_reply(generator, messages, language, max_tokens,
                                                        settings.temperature), restart=True)
        # e.g. two sentences translated alike
        translated = check_answer(reply.text.strip(), language, known_text(question, evidence)).text
        if (not reply.no_answer and not reply.wrong_language and not is_degenerate(translated)
                and detect_language(translated, language) == language):
            text, notice = translated, TRANSLATED_NOTICE[language]
            marked = marked_translation(translated, shown)
            if marked:  # our own translation of those sentences: their passages are its sources
                text, threshold = marked, 0.0
    return attach_citations(text, passages, embed, threshold), notice


def fallback_evidence(evidence: Sequence[Evidence], language: str, refusal_threshold: float) -> list[Evidence]:
    """The two best evidence sentences that read as prose, preferring those already in the answer
    language (the corpus holds translations) as long as they are relevant enough to answer from."""
    ranked = sorted(evidence, key=lambda e: -e.score)
    prose = [e for e in ranked if is_prose(e.sentence)] or ranked  # a formula answers nobody
    same = [e for e in prose if e.score >= refusal_threshold and not is_off_language(e.sentence, language)]
    # Same-language sentences only when the best of them is about as relevant as the best sentence:
    # a clearly weaker one answered another question on the dev set (translating costs less).
    if same and same[0].score < prose[0].score - _SAME_LANGUAGE_MARGIN:
        same = []
    return (same or prose)[:2]


def marked_translation(translated: str, sources: Sequence[tuple[str, int]]) -> str | None:
    """``translated`` with each sentence followed by the [n] of the source sentence it translates, when
    the translation has exactly as many sentences as its sources (else None: the mapping is unknown).

    >>> marked_translation("Distillation shrinks models. It keeps accuracy.", [("증류는 모델을 줄인다.", 2), ("정확도는 유지된다.", 1)])
    'Distillation shrinks models. [2] It keeps accuracy. [1]'
    """
    plain, _ = strip_markers(translated)
    pieces = [plain[sp.start : sp.end] for sp in split_sentences(plain)]
    numbers = [n for sentence, n in sources for _ in split_sentences(sentence)]
    if not pieces or len(pieces) != len(numbers):
        return None
    return " ".join(f"{piece} [{n}]" for piece, n in zip(pieces, numbers))


def evidence_citations(evidence: Sequence[Evidence], most: int = 2) -> tuple[Citation, ...]:
    """The passages of the best evidence sentences, one citation each (at most ``most``)."""
    citations: dict[int, Citation] = {}
    for e in sorted(evidence, key=lambda e: -e.score):
        if e.n not in citations and len(citations) < most:
            citations[e.n] = Citation(n=e.n, hit=e.hit, sentence=e.sentence, support=e.score)
    return tuple(citations.values())
