"""PDF: the text layer read by pypdf, and OCR (see ``ocr``) for pages that have none.

pypdf's default extraction follows the content stream, which in pdfTeX two-column papers is
column by column; its ``extraction_mode="layout"`` was measured on pdf-samples/multicolumn.pdf
and interleaves the two columns line by line, so it is not used. Cleaning (``clean_pages``)
joins line-end hyphens, expands ligatures and drops running headers and page numbers.
"""

from __future__ import annotations

import io
import logging

from core.text import LETTER
from ingest.clean import clean_pages
from ingest.formats.base import Extracted, LoadError, PageProgress, joined_pages
from ingest.formats.ocr import OcrFailure, ocr_image, render_pdf_page

log = logging.getLogger(__name__)

SUFFIXES = {".pdf"}
_TITLE_MAX = 120


def read(raw: bytes, *, ocr_timeout_s: float, progress: PageProgress | None = None) -> Extracted:
    page_texts, title = _text_layer(raw)
    progress = progress or (lambda done, total: None)
    problems: list[str] = []
    ocr_pages = []
    total = len(page_texts)
    for i, text in enumerate(page_texts):
        progress(i, total)
        if LETTER.search(text):
            continue
        try:  # no text layer: a scanned page (or a blank one, which OCR reads as nothing)
            page_texts[i], words = ocr_image(render_pdf_page(raw, i), ocr_timeout_s, page=i + 1)
            ocr_pages.append(words)
        except OcrFailure as exc:
            problems.append(f"page {i + 1}: OCR failed ({exc}); the other pages were indexed")
            log.warning("page %d: OCR failed (%s)", i + 1, exc)
    progress(total, total)
    page_texts = clean_pages(page_texts)
    if not any(LETTER.search(t) for t in page_texts):
        pages = f"{total} page{'' if total == 1 else 's'}"
        reason = f"; {problems[0]}" if problems else ""
        raise LoadError(f"PDF has no text ({pages}; no text layer and OCR read none{reason})")
    text, starts = joined_pages(page_texts)
    return Extracted(text=text, title=title, starts=starts, location_kind="page", problems=tuple(problems),
                     ocr_pages=tuple(ocr_pages))


def _text_layer(raw: bytes) -> tuple[list[str], str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise LoadError(f"encrypted PDF that cannot be opened ({exc})") from exc
            if not ok:
                raise LoadError("encrypted PDF (a password is required); save an unencrypted copy")
        page_texts = [page.extract_text() or "" for page in reader.pages]
        title = ""
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip()[:_TITLE_MAX]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc
    return page_texts, title
