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
from typing import Sequence

from core.language import label_language
from core.text import LATIN_CHARS_PER_TOKEN, Span, estimate_tokens, is_heading, split_sentences, wraps_into
from ingest.types import Chunk, Document

# What an index's passages were cut by: an ingest re-chunks every document of an index cut otherwise, changed
# or not (version 2: lines a layout cut mid-sentence are one paragraph; 3: also after a line ending "-어/-아/-여").
CHUNKING = "3"
_LINE = re.compile(r"\S(?:.*\S)?")


def paragraphs(doc: Document) -> list[Span]:
    """The document's paragraphs: each line (these documents mark paragraphs with single newlines), or lines
    a fixed-width layout cut mid-sentence taken together (``core.text.wraps_into``), never across a page.

    >>> from ingest.types import Document
    >>> doc = Document("d", "d.txt", "d", "Intro\\n레드팀은 주로 인간 주석가에\\n의존합니다.\\n", "hash")
    >>> [doc.text[p.start:p.end] for p in paragraphs(doc)]
    ['Intro', '레드팀은 주로 인간 주석가에\\n의존합니다.']
    """
    text, spans = doc.text, []
    for line in _LINE.finditer(text):
        if spans:
            last = spans[-1]
            between = text[last.end:line.start()]
            if (between.count("\n") == 1 and doc.page_at(last.start) == doc.page_at(line.start())
                    and wraps_into(text[text.rfind("\n", 0, last.end) + 1:last.end], line.group(0))):
                spans[-1] = Span(last.start, line.end())
                continue
        spans.append(Span(line.start(), line.end()))
    return spans


def _hard_split(span: Span, text: str, max_tokens: int) -> list[Span]:
    """Cut an over-long sentence, at whitespace where possible, so each piece fits ``max_tokens``."""
    pieces, start = [], span.start
    while start < span.end:
        # The longest prefix that fits (the estimate never shrinks as text grows); no prefix longer
        # than max_tokens * LATIN_CHARS_PER_TOKEN fits, so the search never looks further (it
        # measured the whole rest of the sentence each time: quadratic on a megabyte-long line).
        lo, hi = start + 1, min(span.end, start + int(max_tokens * LATIN_CHARS_PER_TOKEN) + 1)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if estimate_tokens(text[start:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        end = lo
        if end < span.end:
            cut = max(text.rfind(c, start + 1, end + 1) for c in " \n\t")
            end = cut if cut > start else end
        piece_end = end
        while piece_end > start + 1 and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append(Span(start, piece_end))
        start = end
        while start < span.end and text[start].isspace():
            start += 1
    return pieces


def chunk_document(doc: Document, max_tokens: int = 200, overlap: int = 1) -> list[Chunk]:
    """Split a document into overlapping, sentence-aligned chunks."""
    text = doc.text
    sections: list[tuple[str, list[Span]]] = [("", [])]
    # Pages and slides are the locations citations show: each starts a section, and no chunk
    # spans two (a chunk is cited by the location it starts in).
    by_location = bool(doc.pages)
    section_location = None
    locations: list[int | None] = [None]  # the page of each section
    for span in paragraphs(doc):
        paragraph = text[span.start:span.end]
        location = doc.page_at(span.start) if by_location else None
        if is_heading(paragraph):
            sections.append((paragraph.strip().lstrip("#").strip(), [span]))
            section_location = location
            locations.append(location)
            continue
        if location != section_location:
            sections.append(("", []))
            section_location = location
            locations.append(location)
        for sentence in split_sentences(paragraph, span.start):
            if estimate_tokens(text[sentence.start : sentence.end]) > max_tokens:
                sections[-1][1].extend(_hard_split(sentence, text, max_tokens))
            else:
                sections[-1][1].append(sentence)

    groups: list[tuple[int, str, list[Span]]] = []
    for section, (heading, spans) in enumerate(sections):
        for group in _pack(spans, text, max_tokens, overlap):
            groups.append((section, heading, group))
    # A paged document's tiny chunks join neighbours on their own page: a PDF's short lines (formulas,
    # captions) read as headings, and kept within their heading's section they were chunks of their own
    # (a 117-page mathematics book: 1,614 chunks, median 26 characters).
    groups = _merge_tiny(groups, text, max_tokens, locations if by_location else None)

    chunks = []
    for ordinal, (_, heading, group) in enumerate(groups):
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
                language=label_language(body, default=(doc.languages or ("en",))[0]),
                heading=heading,
                page=doc.page_at(start),
                ordinal=ordinal,
                sentences=tuple((sp.start - start, sp.end - start) for sp in group),
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


_Group = tuple[int, str, list[Span]]  # (section number, heading, sentence spans)


def _merge_tiny(groups: list[_Group], text: str, max_tokens: int,
                locations: Sequence[int | None] | None = None) -> list[_Group]:
    """Fold a chunk of a few tokens (a lone heading, a section's last sentence) into a neighbour.

    The end of a section goes to the chunk before it, anything else to the chunk after
    it; either only when the result still fits ``max_tokens``, else the small chunk stays.
    With ``locations`` (a paged document: the page of each section) a chunk is folded only into one
    on its own page.
    """

    def may_join(a: int, b: int) -> bool:
        return locations is None or locations[a] == locations[b]


    def size(spans: list[Span]) -> int:
        return estimate_tokens(text[spans[0].start : spans[-1].end])

    def join(first: list[Span], second: list[Span]) -> list[Span]:
        return first + [s for s in second if s.start >= first[-1].end]  # drop the overlap copy

    out: list[_Group] = []
    pending: _Group | None = None
    for section, heading, spans in groups:
        if pending is not None:
            p_section, p_heading, p_spans = pending
            pending = None
            prev_ok = bool(out) and size(join(out[-1][2], p_spans)) <= max_tokens
            if prev_ok and out[-1][0] == p_section:
                out[-1] = (out[-1][0], out[-1][1], join(out[-1][2], p_spans))
            elif size(join(p_spans, spans)) <= max_tokens and may_join(p_section, section):
                spans = join(p_spans, spans)
            elif prev_ok and may_join(out[-1][0], p_section):
                out[-1] = (out[-1][0], out[-1][1], join(out[-1][2], p_spans))
            else:
                out.append((p_section, p_heading, p_spans))
        if size(spans) < max_tokens // 5:
            pending = (section, heading, spans)
            continue
        out.append((section, heading, spans))
    if pending is not None:
        if out and size(join(out[-1][2], pending[2])) <= max_tokens and may_join(out[-1][0], pending[0]):
            out[-1] = (out[-1][0], out[-1][1], join(out[-1][2], pending[2]))
        else:
            out.append(pending)
    return out
