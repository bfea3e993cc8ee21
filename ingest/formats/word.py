"""Word (.docx) through python-docx, the maintained reader of the Office Open XML word format.

It walks the body in document order (paragraphs and tables interleaved), which is what keeps
a table next to the text that introduces it. Heading and Title styles become "# " headings
(so the chunker starts a section there and citations name it); a table becomes one line per
row, cells joined by " | " (merged cells, which python-docx repeats, once).
"""

from __future__ import annotations

import io

from ingest.clean import clean_text
from ingest.formats.base import Extracted, LoadError
from ingest.formats.office import check_package

SUFFIXES = {".docx"}
_TITLE_MAX = 120


def read(raw: bytes, *, ocr_timeout_s: float = 0.0, progress=None) -> Extracted:
    import docx
    from docx.table import Table

    check_package(raw, ".docx", "word/document.xml")
    try:
        document = docx.Document(io.BytesIO(raw))
    except (ValueError, KeyError, OSError) as exc:  # python-docx: PackageNotFoundError is a ValueError...
        raise LoadError(f"damaged .docx file ({type(exc).__name__}: {str(exc)[:120]})") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(table_rows(block))
            lines.append("")
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        lines.append(f"# {text}" if style.startswith(("Heading", "Title")) else text)
    title = (document.core_properties.title or "").strip()[:_TITLE_MAX]
    return Extracted(text=clean_text("\n".join(lines)), title=title)


def table_rows(table) -> list[str]:
    """One line per row: its distinct cell texts joined by " | "."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # a merged cell comes back once per grid column
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
