"""The source viewer: a cited document opened at its supporting sentence.

A PDF page is rendered to a PNG on the server (pypdfium2, no browser-side PDF library, so
the page works offline) and the sentence's text boxes on that page are drawn over it as
highlight boxes (positions in percent of the page). A scanned page has no text to search: the
word boxes OCR found at ingest (kept in the index) locate the sentence instead, on the page or
on an image (PNG, JPEG) shown as its one page. A text or Markdown document is shown as escaped
text with the sentence marked; the page scrolls the mark into view.

Only documents in the live index are opened (by their id), never a path sent by the page.

Example:
    >>> target = ViewerTarget(doc_id="d0", page=3, sentence="Distillation shrinks a model.")
    >>> target.moved(1).page
    4
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

from core.errors import UserFacingError
from ingest.formats.image import SUFFIXES as IMAGE_SUFFIXES
from ingest.formats.pdf import SUFFIXES as PDF_SUFFIXES
from ingest.load import LoadError, load_document
from ingest.types import IndexedDocument, OcrPage, OcrWord
from ui.render import esc

log = logging.getLogger(__name__)

RENDER_SCALE = 1.6  # 595 pt wide A4 → 952 px: sharp in a 500-700 px wide panel, ~150 KB PNG
_WORDS = 6  # a sentence not found whole is located by its first and last words
_EDGE_CHARS = 12  # ... and in OCR'd words by its first and last characters (at most a third of it)
IMAGE_WIDTH = 1000  # an image shown as a page is scaled down to this width (pixels)

# (doc_id, page) -> the words OCR read on that page, or None (``Index.ocr_page``)
OcrLookup = Callable[[str, int], "OcrPage | None"]


class ViewerError(UserFacingError):
    """The document cannot be shown (removed from the index, file gone, page out of range)."""


@dataclass(frozen=True)
class ViewerTarget:
    """What to show: a document, its page (PDF; None for text), the sentence to highlight."""

    doc_id: str
    page: int | None
    sentence: str
    cited_page: int | None = None  # the page the sentence is on; highlighted only there

    @classmethod
    def parse(cls, raw: str) -> "ViewerTarget":
        """From the page's click: JSON {"doc", "page", "sentence"}."""
        try:
            data = json.loads(raw or "")
            page = int(data["page"]) if data.get("page") not in (None, "") else None
            return cls(str(data["doc"]), page, str(data.get("sentence", "")), page)
        except (ValueError, KeyError, TypeError) as exc:
            raise ViewerError(f"cannot open this source (bad reference {raw[:80]!r})") from exc

    def moved(self, delta: int) -> "ViewerTarget":
        return replace(self, page=max(1, (self.page or 1) + delta)) if self.page else self

    def to_json(self) -> str:
        return json.dumps({"doc": self.doc_id, "page": self.page, "sentence": self.sentence,
                           "cited_page": self.cited_page}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "ViewerTarget":
        target = cls.parse(raw)
        return replace(target, cited_page=json.loads(raw).get("cited_page", target.page))


@dataclass(frozen=True)
class Box:
    """A highlight rectangle in percent of the page (left, top, width, height)."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class PdfPage:
    png: bytes
    page: int
    pages: int
    boxes: tuple[Box, ...]


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _find(textpage, text: str) -> tuple[int, int] | None:
    searcher = textpage.search(text, match_case=False)
    try:
        return searcher.get_next()
    finally:
        searcher.close()


def sentence_span(textpage, sentence: str) -> tuple[int, int] | None:
    """(first char index, char count) of ``sentence`` on the page: the whole sentence, else from its
    first words to its last words (line breaks and hyphenation differ between the PDF and the index)."""
    words = _normalised(sentence).split()
    if not words:
        return None
    found = _find(textpage, " ".join(words))
    if found:
        return found
    head = _find(textpage, " ".join(words[:_WORDS]))
    if not head:
        return None
    tail = _find(textpage, " ".join(words[-_WORDS:])) if len(words) > _WORDS else None
    if tail and tail[0] >= head[0]:
        return head[0], tail[0] + tail[1] - head[0]
    return head


def render_pdf_page(path: Path, page: int, sentence: str) -> PdfPage:
    """Page ``page`` (1-based) of the PDF as a PNG, with ``sentence``'s boxes (empty when not on it)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        count = len(pdf)
        if not 1 <= page <= count:
            raise ViewerError(f"{path.name}: no page {page} (the document has {count})")
        pdf_page = pdf[page - 1]
        width, height = pdf_page.get_size()
        image = pdf_page.render(scale=RENDER_SCALE).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        boxes: tuple[Box, ...] = ()
        if sentence:
            textpage = pdf_page.get_textpage()
            span = sentence_span(textpage, sentence)
            if span:
                rects = [textpage.get_rect(i) for i in range(textpage.count_rects(*span))]
                boxes = tuple(Box(100 * left / width, 100 * (height - top) / height,
                                  100 * (right - left) / width, 100 * (top - bottom) / height)
                              for left, bottom, right, top in rects)
            textpage.close()
        return PdfPage(out.getvalue(), page, count, boxes)
    finally:
        pdf.close()


def _squashed(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def ocr_sentence_words(words: tuple[OcrWord, ...], sentence: str) -> tuple[OcrWord, ...]:
    """The OCR'd words that make up ``sentence``: the whole sentence, else from its first characters to
    its last (cleaning joined line-end hyphens); compared without whitespace (Tesseract spaces Hangul freely)."""
    target = _squashed(sentence)
    joined, owner = "", []
    for i, word in enumerate(words):
        piece = _squashed(word.text)
        joined += piece
        owner += [i] * len(piece)
    if not target:
        return ()
    start = joined.find(target)
    if start >= 0:
        end = start + len(target)
    else:
        edge = min(_EDGE_CHARS, max(4, len(target) // 3))
        head, tail = target[:edge], target[-edge:]
        start = joined.find(head)
        if start < 0:
            return ()
        found = joined.find(tail, start)
        end = found + len(tail) if found >= 0 else start + len(head)
    return words[owner[start]: owner[end - 1] + 1]


def ocr_boxes(page: OcrPage, sentence: str) -> tuple[Box, ...]:
    """One highlight box per OCR'd line that ``sentence`` covers, in percent of the page."""
    lines: dict[int, list[OcrWord]] = {}
    for word in ocr_sentence_words(page.words, sentence):
        lines.setdefault(word.line, []).append(word)
    boxes = []
    for words in lines.values():
        left, top = min(w.left for w in words), min(w.top for w in words)
        right, bottom = max(w.left + w.width for w in words), max(w.top + w.height for w in words)
        boxes.append(Box(100 * left / page.width, 100 * top / page.height,
                         100 * (right - left) / page.width, 100 * (bottom - top) / page.height))
    return tuple(boxes)


def render_image_page(path: Path, ocr: OcrPage | None, sentence: str) -> PdfPage:
    """An image file as a one-page PNG, with ``sentence``'s OCR'd boxes."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            if image.width > IMAGE_WIDTH:
                image = image.resize((IMAGE_WIDTH, round(image.height * IMAGE_WIDTH / image.width)))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ViewerError(f"{path.name}: cannot show the image ({exc})") from exc
    return PdfPage(out.getvalue(), 1, 1, ocr_boxes(ocr, sentence) if ocr and sentence else ())


def _pdf_html(document: IndexedDocument, rendered: PdfPage) -> str:
    data = base64.b64encode(rendered.png).decode("ascii")
    boxes = "".join(
        f'<div class="sr-hl" style="left:{b.left:.2f}%;top:{b.top:.2f}%;width:{b.width:.2f}%;height:{b.height:.2f}%">'
        "</div>" for b in rendered.boxes)
    return (
        f'<div class="sr-viewer" data-page="{rendered.page}" data-pages="{rendered.pages}">'
        f'<div class="sr-viewer-head"><b>{esc(document.title)}</b> · p. {rendered.page} / {rendered.pages}</div>'
        f'<div class="sr-page"><img class="sr-page-img" alt="{esc(document.title)}, p. {rendered.page}" '
        f'src="data:image/png;base64,{data}">{boxes}</div></div>'
    )


def text_html(document: IndexedDocument, text: str, sentence: str) -> str:
    """The document's text, escaped, with the first occurrence of ``sentence`` marked."""
    start = text.find(sentence) if sentence else -1
    if start < 0 and sentence:  # whitespace may differ: match on words separated by any whitespace
        pattern = r"\s+".join(re.escape(w) for w in sentence.split())
        found = re.search(pattern, text)
        start, end = (found.start(), found.end()) if found else (-1, -1)
    else:
        end = start + len(sentence)
    body = (esc(text[:start]) + f'<mark class="sr-viewer-hit">{esc(text[start:end])}</mark>' + esc(text[end:])
            if start >= 0 else esc(text))
    return (f'<div class="sr-viewer"><div class="sr-viewer-head"><b>{esc(document.title)}</b></div>'
            f'<div class="sr-text">{body}</div></div>')


def viewer_html(target: ViewerTarget, documents: Mapping[str, IndexedDocument], max_bytes: int,
                ocr_page: OcrLookup = lambda doc_id, page: None) -> str:
    """The viewer's HTML for ``target``; raises ViewerError with a one-line reason.

    ``ocr_page`` gives the word boxes OCR found on a page (``Index.ocr_page``)."""
    document = documents.get(target.doc_id)
    if document is None:
        raise ViewerError("this document is no longer in the index")
    path = Path(document.source)
    if not path.is_file():
        raise ViewerError(f"{path.name}: the file is gone from the disk")
    if path.suffix.lower() in PDF_SUFFIXES:
        page = target.page or 1
        sentence = target.sentence if page == target.cited_page else ""
        rendered = render_pdf_page(path, page, sentence)
        if sentence and not rendered.boxes and (ocr := ocr_page(document.doc_id, page)):
            rendered = replace(rendered, boxes=ocr_boxes(ocr, sentence))
        return _pdf_html(document, rendered)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _pdf_html(document, render_image_page(path, ocr_page(document.doc_id, 1), target.sentence))
    try:
        text = load_document(path, max_bytes).text
    except LoadError as exc:
        raise ViewerError(f"{path.name}: {exc}") from exc
    return text_html(document, text, target.sentence)
