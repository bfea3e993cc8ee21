"""The records that flow through ingestion: a loaded ``Document`` and its ``Chunk``s."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from core.text import one_line, printable


@dataclass(frozen=True)
class OcrWord:
    """A word OCR read, with its box in pixels of the page image and the number of its line."""

    text: str
    left: int
    top: int
    width: int
    height: int
    line: int


@dataclass(frozen=True)
class OcrPage:
    """The words OCR read on one page (1-based) of a scan or image, kept so the viewer can highlight them."""

    page: int
    width: int  # the OCR'd image, in pixels
    height: int
    words: tuple[OcrWord, ...]

    def to_json(self) -> str:
        return json.dumps([[w.text, w.left, w.top, w.width, w.height, w.line] for w in self.words],
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, page: int, width: int, height: int, raw: str) -> "OcrPage":
        return cls(page, width, height, tuple(OcrWord(*w) for w in json.loads(raw)))


@dataclass(frozen=True)
class Document:
    """One source file, loaded and cleaned.

    ``pages`` holds the character offset where each PDF page or PPTX slide starts (page 1 at
    offset 0); it is empty for text files. ``location_kind`` names what ``pages`` counts
    ("page", "slide"; "" when passages are located by section heading). ``problems`` lists
    parts that could not be read (a page OCR gave up on) while the rest was loaded.
    ``ocr_pages`` holds the words OCR read on scanned pages, with their boxes.
    """

    doc_id: str
    source: str  # resolved path, the document's identity
    title: str
    text: str
    content_hash: str  # SHA-256 of the raw file bytes
    languages: tuple[str, ...] = ()
    seed: str = ""  # original seed file name, for the evaluation set
    pages: tuple[int, ...] = ()
    location_kind: str = ""
    problems: tuple[str, ...] = ()
    ocr_pages: tuple[OcrPage, ...] = ()  # word boxes of the pages read by OCR
    description: str = ""  # what the document is and where it comes from (the manifest's "source")

    def page_at(self, offset: int) -> int | None:
        """1-based page number containing ``offset``, or None for non-paged text."""
        if not self.pages:
            return None
        page = 1
        for i, start in enumerate(self.pages, start=1):
            if start <= offset:
                page = i
        return page


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, the unit that is embedded and retrieved."""

    chunk_id: str
    doc_id: str
    text: str
    start: int  # character offsets into Document.text
    end: int
    language: str
    heading: str = ""
    page: int | None = None
    ordinal: int = 0  # position within the document
    sentences: tuple[tuple[int, int], ...] = ()  # sentence spans, relative to ``text``

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences] or [self.text]


@dataclass(frozen=True)
class IndexedDocument:
    """A document as the index records it (its text lives in the chunks)."""

    doc_id: str
    source: str
    title: str
    languages: tuple[str, ...]
    seed: str
    content_hash: str
    chunk_count: int
    ingested_at: float
    location_kind: str = ""  # what Chunk.page counts in this document: "page", "slide", or "" (none)
    # What the document is and where it comes from, as its manifest describes it: the names a reader calls it by
    # ("the Google course page", "Naveed et al.") that its title and text may not write.
    description: str = ""

    def location_of(self, chunk: Chunk) -> str:
        """Where ``chunk`` is, as shown in citations: "p. 3", "slide 3", "§ Heading", or ""."""
        if chunk.page:
            return f"slide {chunk.page}" if self.location_kind == "slide" else f"p. {chunk.page}"
        if chunk.heading:
            return f"§ {one_line(chunk.heading, 80)}"
        return ""


@dataclass(frozen=True)
class FileFailure:
    """A file that could not be ingested, with a one-line reason."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{printable(self.path)}: {printable(self.reason)}"


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[FileFailure, ...] = ()
    warnings: tuple[FileFailure, ...] = ()  # parts of indexed files that could not be read
    chunks: int = 0
    embedded: int = 0  # chunks whose vectors were computed (not from cache)
    seconds: float = 0.0
    version: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"documents: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged, {len(self.failed)} failed; "
            f"chunks: {self.chunks} ({self.embedded} embedded); {self.seconds:.1f} s"
        )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
