"""Saved web pages (.html, .htm) through trafilatura, a maintained main-content extractor.

It drops navigation, menus, footers, scripts and styles, and keeps the article's headings
(as Markdown "# " lines, which the chunker takes as sections) and tables (one "| a | b |" line
per row). ``favor_recall`` keeps short pages that trafilatura's precision defaults discard.
"""

from __future__ import annotations

from ingest.clean import clean_text
from ingest.formats.base import Extracted, LoadError

SUFFIXES = {".html", ".htm"}
_TITLE_MAX = 120


def read(raw: bytes, *, ocr_timeout_s: float = 0.0, progress=None) -> Extracted:
    import trafilatura

    text = trafilatura.extract(
        raw, output_format="markdown", include_tables=True, include_comments=False,
        include_images=False, include_links=False, favor_recall=True, deduplicate=False,
    )
    if not text or not text.strip():
        raise LoadError("no main text in the web page (only scripts, navigation or markup)")
    meta = trafilatura.extract_metadata(raw)
    title = (meta.title if meta and meta.title else "").strip()[:_TITLE_MAX]
    return Extracted(text=clean_text(text), title=title)
