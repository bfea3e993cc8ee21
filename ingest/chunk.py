"""Sentence-aware chunking for Korean, French and English text.

Sentences come from Kiwi's splitter (it handles Korean sentences that lack a
final period, and Latin-script text). Sentences are packed into chunks of at
most ``max_tokens`` estimated LLM tokens, a new chunk starts at each section
heading, and consecutive chunks of a section share ``overlap`` sentences.

Example:
    >>> chunks = chunk_document(doc, max_tokens=200, overlap=1)  # doctest: +SKIP
    >>> chunks[0].heading, chunks[0].language  # doctest: +SKIP
    ('미세 조정', 'ko')
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.language import detect_language
from ingest.types import Chunk, Document

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PARAGRAPH = re.compile(r"\S(?:.*\S)?(?:\n(?!\s*\n).*\S)*")  # runs of non-blank lines
_NUMBERED_HEADING = re.compile(r"^(?:[IVX]+\.|\d+(?:\.\d+)*\.?|[A-Z]\.)\s+\S")
_SENTENCE_END = re.compile(r"[.!?。…:;,)\]]$")
_HEADING_MAX_CHARS = 80


def estimate_tokens(text: str) -> int:
    """Rough LLM token count: Hangul syllables cost about one token, Latin text about 1 per 3.6 chars."""
    hangul = len(_HANGUL.findall(text))
    return int(hangul * 0.95 + (len(text) - hangul) / 3.6) + 1


@lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi

    return Kiwi()


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans of ``text`` (offsets shifted by ``offset``)."""
    spans = []
    for sent in _kiwi().split_into_sents(text):
        start, end = sent.start, sent.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append(Span(offset + start, offset + end))
    return spans


def is_heading(paragraph: str) -> bool:
    """A one-line paragraph that reads like a section title."""
    line = paragraph.strip()
    if "\n" in line or not (2 <= len(line) <= _HEADING_MAX_CHARS):
        return False
    if line.startswith(("#",)):
        return True
    if line.startswith(("•", "-", "*", "(", "[")) or _SENTENCE_END.search(line):
        return False
    return bool(_NUMBERED_HEADING.match(line)) or len(line.split()) <= 10


def _hard_split(span: Span, text: str, max_tokens: int) -> list[Span]:
    """Cut an over-long sentence at whitespace so each piece fits ``max_tokens``."""
    pieces, start = [], span.start
    while start < span.end:
        end = start
        while end < span.end and estimate_tokens(text[start:end]) < max_tokens:
            end = min(span.end, end + 20)
        if end < span.end:
            cut = text.rfind(" ", start + 1, end)
            end = cut if cut > start else end
        pieces.append(Span(start, end))
        start = end
        while start < span.end and text[start].isspace():
            start += 1
    return pieces


def chunk_document(doc: Document, max_tokens: int = 200, overlap: int = 1) -> list[Chunk]:
    """Split a document into overlapping, sentence-aligned chunks."""
    text = doc.text
    sections: list[tuple[str, list[Span]]] = [("", [])]
    for m in _PARAGRAPH.finditer(text):
        paragraph = m.group(0)
        if is_heading(paragraph):
            sections.append((paragraph.strip().lstrip("#").strip(), [Span(m.start(), m.end())]))
            continue
        for span in split_sentences(paragraph, m.start()):
            if estimate_tokens(text[span.start : span.end]) > max_tokens:
                sections[-1][1].extend(_hard_split(span, text, max_tokens))
            else:
                sections[-1][1].append(span)

    groups: list[tuple[str, list[Span]]] = []
    for heading, spans in sections:
        for group in _pack(spans, text, max_tokens, overlap):
            groups.append((heading, group))
    groups = _merge_tiny(groups, text, max_tokens)

    chunks = []
    for ordinal, (heading, group) in enumerate(groups):
        start, end = group[0].start, group[-1].end
        body = text[start:end]
        chunk_id = hashlib.sha1(f"{doc.doc_id}:{start}:{end}:{body}".encode()).hexdigest()[:16]
        chunks.append(
            Chunk(
                chunk_id=chunk_id,
                doc_id=doc.doc_id,
                text=body,
                start=start,
                end=end,
                language=detect_language(body, default=(doc.languages or ("en",))[0]),
                heading=heading,
                page=doc.page_at(start),
                ordinal=ordinal,
            )
        )
    return chunks


def _pack(spans: list[Span], text: str, max_tokens: int, overlap: int) -> list[list[Span]]:
    groups: list[list[Span]] = []
    current: list[Span] = []
    new_in_current = 0
    for span in spans:
        candidate = current + [span]
        if current and estimate_tokens(text[candidate[0].start : span.end]) > max_tokens:
            groups.append(current)
            carry = current[-overlap:] if overlap else []
            # Only carry sentences that leave room for new text.
            while carry and estimate_tokens(text[carry[0].start : span.end]) > max_tokens:
                carry = carry[1:]
            current = carry + [span]
            new_in_current = 1
        else:
            current = candidate
            new_in_current += 1
    if current and new_in_current:
        groups.append(current)
    return groups


def _merge_tiny(groups: list[tuple[str, list[Span]]], text: str, max_tokens: int) -> list[tuple[str, list[Span]]]:
    """Fold a chunk of a few tokens (a lone heading, a stub section) into the chunk after it."""
    out: list[tuple[str, list[Span]]] = []
    pending: list[Span] = []
    for heading, group in groups:
        group = pending + group
        pending = []
        size = estimate_tokens(text[group[0].start : group[-1].end])
        if size < max_tokens // 5:
            pending = group
            continue
        out.append((heading, group))
    if pending:
        if out:
            heading, last = out[-1]
            out[-1] = (heading, last + pending)
        else:
            out.append(("", pending))
    return out
