"""PowerPoint (.pptx) through python-pptx, the maintained reader of the presentation format.

Each slide is one location (cited as "slide N"): its title as a "# " heading, then the text of
its shapes in the order the file lists them (groups opened), tables one line per row, then the
speaker notes. An empty slide keeps its number so the numbers match the deck.
"""

from __future__ import annotations

import io

from ingest.clean import clean_text
from ingest.formats.base import Extracted, LoadError, joined_pages
from ingest.formats.office import check_package

SUFFIXES = {".pptx"}
_TITLE_MAX = 120


def read(raw: bytes, *, ocr_timeout_s: float = 0.0, progress=None) -> Extracted:
    from pptx import Presentation

    check_package(raw, ".pptx", "ppt/presentation.xml")
    try:
        deck = Presentation(io.BytesIO(raw))
    except (ValueError, KeyError, OSError) as exc:
        raise LoadError(f"damaged .pptx file ({type(exc).__name__}: {str(exc)[:120]})") from exc
    slides = []
    for slide in deck.slides:
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        lines = [f"# {title}"] if title else []
        for shape in slide.shapes:
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            lines.extend(_shape_lines(shape))
        if slide.has_notes_slide:
            lines.append(slide.notes_slide.notes_text_frame.text if slide.notes_slide.notes_text_frame else "")
        slides.append(clean_text("\n".join(lines)))
    text, starts = joined_pages(slides)
    return Extracted(text=text, title=(deck.core_properties.title or "").strip()[:_TITLE_MAX],
                     starts=starts, location_kind="slide")


def _shape_lines(shape) -> list[str]:
    if shape.shape_type is not None and hasattr(shape, "shapes"):  # a group
        return [line for inner in shape.shapes for line in _shape_lines(inner)]
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = []
        for row in shape.table.rows:
            cells = [" ".join(cell.text.split()) for cell in row.cells]
            if any(cells):
                rows.append(" | ".join(c for c in cells if c))
        return rows
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        return [p.text for p in shape.text_frame.paragraphs]
    return []
