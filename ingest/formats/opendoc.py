"""OpenDocument text (.odt) through odfpy, the ODF library pandas reads OpenDocument files with.

The body is walked in document order: headings (text:h) become "# " headings (so the chunker
starts a section there and citations name it), paragraphs and list items one line each, a table
one line per row with its cells joined by " | ", as for Word files.
"""

from __future__ import annotations

import io
import zipfile

from ingest.clean import clean_text
from ingest.formats.base import Extracted, LoadError
from ingest.formats.office import check_package

SUFFIXES = {".odt"}
_TITLE_MAX = 120


def read(raw: bytes, *, ocr_timeout_s: float = 0.0, progress=None) -> Extracted:
    from odf.opendocument import load

    check_package(raw, ".odt", "content.xml")
    with zipfile.ZipFile(io.BytesIO(raw)) as package:
        manifest = package.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in package.namelist() else b""
    if b"encryption-data" in manifest:  # ODF encrypts each part inside an ordinary zip
        raise LoadError("password-protected .odt file; save a copy without a password")
    try:
        document = load(io.BytesIO(raw))
    except Exception as exc:  # odfpy lets the XML parser's and zipfile's many errors through
        raise LoadError(f"damaged .odt file ({type(exc).__name__}: {str(exc)[:120]})") from exc
    lines = _lines(document.text)
    return Extracted(text=clean_text("\n".join(lines)), title=_title(document))


def _lines(element) -> list[str]:
    from odf import teletype

    lines: list[str] = []
    for node in element.childNodes:
        name = getattr(node, "qname", (None, ""))[1]
        if name == "h" and (heading := " ".join(teletype.extractText(node).split())):
            lines.append(f"# {heading}")
        elif name == "p":
            lines.append(teletype.extractText(node))
        elif name == "table":
            lines.extend(_rows(node))
            lines.append("")
        elif name in ("list", "list-item", "section", "list-header"):
            lines.extend(_lines(node))
    return lines


def _rows(table) -> list[str]:
    from odf import teletype
    from odf.table import TableCell, TableRow

    rows = []
    for row in table.getElementsByType(TableRow):
        cells = [" ".join(teletype.extractText(cell).split()) for cell in row.getElementsByType(TableCell)]
        if any(cells):
            rows.append(" | ".join(c for c in cells if c))
    return rows


def _title(document) -> str:
    from odf import teletype
    from odf.dc import Title

    titles = document.meta.getElementsByType(Title)
    return teletype.extractText(titles[0]).strip()[:_TITLE_MAX] if titles else ""
