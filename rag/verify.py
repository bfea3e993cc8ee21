"""Verification: what of the model's draft may be shown, and is the rest backed by the passages?

Two steps, in order: sentences that state what nothing shown to the model states are dropped
(rag.checks: invented numbers, other languages, restated questions, repeats); then each remaining
sentence is matched to the passage that supports it (rag.cite). A reply is not usable when it is
degenerate or in another language, when too few of its claims are supported, or when it rests only
on passages far less relevant than the best one.

Example:
    >>> text = checked_text(draft.text, question, evidence)  # doctest: +SKIP
    >>> cited = verified_citations(text, question.language, passages, embed, evidence, settings)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

import numpy as np

from core.language import reads_as
from core.settings import Settings
from ingest.index import Index
from rag.checks import check_answer, is_half_translated
from rag.cite import CitedAnswer, SourcePassage, attach_citations
from rag.draft import is_degenerate
from rag.evidence import as_read, group_by_passage
from rag.prompt import ANSWERING_INSTRUCTIONS, LEAD_SENTENCES, sanitize_passage
from rag.question import Question
from rag.types import Citation, Evidence

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]


def known_text(question: Question, evidence: Sequence[Evidence]) -> str:
    """Everything the model was shown, as it was shown: what an answer may restate. The passages' documents are known by
    their whole titles (the prompt shows them shortened): "… ChatGPT and Beyond" names ChatGPT."""
    titles = sorted({e.hit.document.title for e in evidence})
    return " ".join([question.text, question.context, *(sanitize_passage(as_read(e)) for e in evidence), *titles])


def translation_fidelity(source: str, translation: str, embed: Embed) -> float:
    """Cosine of ``translation`` with its ``source`` sentence: a faithful one says the same in another language."""
    return closest_similarity(translation, [source], embed)


def closest_similarity(text: str, others: Sequence[str], embed: Embed) -> float:
    """The highest cosine of ``text`` with any of ``others`` (-1 when there are none)."""
    if not others:
        return -1.0
    vectors = embed([text, *others])
    return float((vectors[1:] @ vectors[0]).max())


def checked_text(text: str, question: Question, evidence: Sequence[Evidence]) -> str:
    """``text`` without the sentences the checks drop. Each evidence sentence is judged as read, with the
    subject of its survey entry (``rag.evidence.entry_heading``: "PaLM: 또한, 540B …"), so that a figure stays
    with the model it is about."""
    checked = check_answer(text, question.language, known_text(question, evidence),
                           [sanitize_passage(as_read(e)) for e in evidence], ANSWERING_INSTRUCTIONS, LEAD_SENTENCES,
                           question.text)
    if checked.dropped:
        log.info("dropped from the answer: %s", "; ".join(f"{d.reason}: {d.sentence[:60]!r}" for d in checked.dropped))
    return checked.text


def source_passages(index: Index, evidence: Sequence[Evidence]) -> list[SourcePassage]:
    """The passages the model was shown, with every sentence's vector, for matching claims to sources."""
    return [
        SourcePassage(n, hit, tuple(hit.chunk.sentence_texts()), index.sentence_vectors_of(hit.row))
        for n, hit, _ in group_by_passage(evidence)
    ]


def verified_citations(text: str, language: str, passages: Sequence[SourcePassage], embed: Embed,
                       evidence: Sequence[Evidence], settings: Settings) -> CitedAnswer | None:
    """The reply with its citations, or None when it is not usable as the answer."""
    if is_degenerate(text) or not reads_as(text, language) or is_half_translated(text, language):
        log.info("answering with the evidence sentences instead of the model's reply")
        return None
    cited = attach_citations(text, passages, embed, settings.support_threshold)
    if cited.supported_sentences < settings.min_supported_share * cited.total_sentences or not cited.citations:
        log.info("passages support %d of the reply's %d claims; answering with the evidence sentences",
                 cited.supported_sentences, cited.total_sentences)
        return None
    if rests_on_weaker_passages(cited.citations, evidence, settings.off_target_margin):
        log.info("the reply rests only on passages far less relevant than the best; answering with the evidence sentences")
        return None
    return cited


def rests_on_weaker_passages(citations: Sequence[Citation], evidence: Sequence[Evidence], margin: float) -> bool:
    """Every passage the reply cites is more than ``margin`` less similar to the question than the best one:
    the small model answered from a side passage (another topic) instead of the one that answers.

    >>> from types import SimpleNamespace as NS
    >>> ev = [NS(n=1, score=0.63), NS(n=2, score=0.54), NS(n=4, score=0.41)]
    >>> rests_on_weaker_passages([NS(n=4)], ev, 0.2), rests_on_weaker_passages([NS(n=4), NS(n=2)], ev, 0.2)
    (True, False)
    """
    best_of: dict[int, float] = {}
    for e in evidence:
        best_of[e.n] = max(best_of.get(e.n, 0.0), e.score)
    best = max(best_of.values(), default=0.0)
    return bool(citations) and all(best_of.get(c.n, 0.0) < best - margin for c in citations)
