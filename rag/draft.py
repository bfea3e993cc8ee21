"""Drafting: the model writes a reply from the evidence, with its retry policy.

The reply streams out as it is written, except a NO_ANSWER (never shown) and a reply that starts
in the wrong language (cut short). A reply that is a NO_ANSWER despite strong evidence, in the
wrong language, degenerate, or a restatement of the question is asked for once more with a strict
instruction. The outcome is a ``Draft`` (the generator's return value, read with ``yield from``).

Example:
    >>> draft = yield from draft_answer(generator, question, evidence, settings, sure=True)  # doctest: +SKIP
    >>> draft.text, draft.no_answer  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Generator as Gen
from typing import Sequence

from core.language import reads_as
from core.settings import Settings
from core.text import LETTER
from rag.checks import is_bare_reply, is_echo
from rag.cite import strip_markers
from rag.llm.base import Generator, Message
from rag.prompt import NO_ANSWER, NOT_A_REPLY, build_messages
from rag.question import Question
from rag.types import Evidence, TokenEvent

log = logging.getLogger(__name__)

_LANGUAGE_CHECK_CHARS = 48
_REPEAT = re.compile(r"(.{6,}?)\1{3,}", re.DOTALL)
# With "YES" banned (rag.prompt.NOT_A_REPLY), the default model opened a French reply with "OUI_ANSWER", the
# instruction's token in the asker's language, and it was shown as the answer's first word (probe set 28): a
# word of capitals joined to "_ANSWER" opening a reply is that token, not the reply. While a reply's start may
# still become such a token (``_ANSWER_TOKEN_START``), it is held back.
_ANSWER_TOKEN = re.compile(r"[A-Z]+_ANSWER\b[\s:.,;-]*")
_ANSWER_TOKEN_START = re.compile(r"[A-Z]*(?:_[A-Z]*)?")


@dataclass(frozen=True)
class Reply:
    """What one model call produced, as far as it was shown."""

    text: str
    no_answer: bool = False  # the model said NO_ANSWER (nothing was shown)
    wrong_language: bool = False  # cut short: it started in another language


@dataclass(frozen=True)
class Draft:
    text: str  # "" when the model said NO_ANSWER
    no_answer: bool
    attempts: int


def is_degenerate(text: str) -> bool:
    """Empty, markers only, a bare "yes"/"no", or stuck repeating itself."""
    plain, _ = strip_markers(text)
    if len(LETTER.findall(plain)) < 3 or plain.strip().upper().startswith(NO_ANSWER) or is_bare_reply(plain):
        return True
    return bool(_REPEAT.search(plain))


def stream_reply(generator: Generator, messages: Sequence[Message], language: str, max_tokens: int,
                 temperature: float, banned: Sequence[str] = ()) -> Gen[str, None, Reply]:
    """Yield the reply's pieces as they are written; return the whole ``Reply``."""
    seen, shown, checked = "", "", False
    hidden: int | None = None  # how many of the first characters are never shown, once the reply's start is read
    for piece in generator.stream_chat(messages, max_tokens=max_tokens, temperature=temperature, banned=banned):
        seen += piece
        if hidden is None:
            head = seen.lstrip()
            if head.upper().startswith(NO_ANSWER):
                return Reply(shown, no_answer=True)
            if _ANSWER_TOKEN_START.fullmatch(head.upper()):
                continue  # could still become NO_ANSWER or another "…_ANSWER"
            hidden = len(seen) - len(head)
            token = _ANSWER_TOKEN.match(head)
            if token:
                log.info("the reply opened with %r; left out", token.group().strip())
                hidden += token.end()
            piece = seen[hidden:]
        if piece:
            yield piece
            shown += piece
        if not checked and len(seen) >= _LANGUAGE_CHECK_CHARS:
            checked = True
            if not reads_as(seen[hidden:], language):
                return Reply(shown, wrong_language=True)
    if hidden is None and seen and not _ANSWER_TOKEN.fullmatch(seen.strip()):  # a short reply in capitals ("LLM")
        yield seen
        shown = seen
    return Reply(shown)


def rejection(reply: Reply, question: Question, sure: bool, strict: bool) -> str | None:
    """Why the reply must be asked for again (None: keep it). A NO_ANSWER stands unless the evidence is
    sure: on the dev set the model said NO_ANSWER to answerable questions far more often than to
    unanswerable ones."""
    if reply.no_answer:
        return "NO_ANSWER despite strong evidence" if sure else None
    if reply.wrong_language or not reads_as(reply.text, question.language):
        return "wrong language"
    if is_degenerate(reply.text):
        return "degenerate"
    if not strict and is_echo(reply.text, question.text):
        return "restates the question"
    return None


def draft_answer(generator: Generator, question: Question, evidence: Sequence[Evidence], settings: Settings,
                 sure: bool, max_tokens: int | None = None) -> Gen[TokenEvent, None, Draft]:
    """Ask the model, and once more strictly when its reply is rejected; stream the pieces as TokenEvents
    (``restart`` when a retry replaces what was shown)."""
    reply, attempts = Reply(""), 0
    for strict in (False, True):
        attempts += 1
        messages = build_messages(question.text, question.language, evidence, context=question.context, strict=strict)
        pieces = stream_reply(generator, messages, question.language, max_tokens or settings.max_answer_tokens,
                              settings.temperature, banned=NOT_A_REPLY)
        reply = yield from as_token_events(pieces, restart=strict)
        reason = rejection(reply, question, sure, strict)
        if reason is None:
            break
        log.info("answer rejected (%s)%s", reason, "; retrying with a strict instruction" if not strict else "")
    return Draft(text="" if reply.no_answer else reply.text.strip(), no_answer=reply.no_answer, attempts=attempts)


def as_token_events(pieces: Gen[str, None, Reply], restart: bool, prefix: str = "") -> Gen[TokenEvent, None, Reply]:
    """The pieces as TokenEvents, the first one marked ``restart`` when asked and led by ``prefix``
    (a space between what was shown and what follows); returns the Reply."""
    first = True
    while True:
        try:
            piece = next(pieces)
        except StopIteration as done:
            return done.value
        yield TokenEvent(prefix + piece if first else piece, restart=restart and first)
        first = False
