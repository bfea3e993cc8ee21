"""What every format reader returns, and the error it raises.

Example:
    >>> joined_pages(["one\\n", "two\\n"])
    ('one\\n\\ntwo\\n', (0, 5))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.errors import UserFacingError
from ingest.types import OcrPage

# (done, total) pages: the slow step of a long scan is OCR, reported page by page.
PageProgress = Callable[[int, int], None]


class LoadError(UserFacingError, ValueError):
    """A file cannot be ingested; the message is one line naming the cause."""


@dataclass(frozen=True)
class Extracted:
    """A file's cleaned text and where its locations start.

    ``starts`` holds the character offset where each page (PDF, scan) or slide (PPTX) begins;
    ``location_kind`` says which ("page", "slide"), or is "" for text located by section heading.
    ``problems`` lists parts that could not be read (a page OCR gave up on), each one line.
    ``ocr_pages`` holds the words (with boxes) of the pages read by OCR.
    """

    text: str
    title: str = ""
    starts: tuple[int, ...] = ()
    location_kind: str = ""
    problems: tuple[str, ...] = ()
    ocr_pages: tuple[OcrPage, ...] = ()


def joined_pages(page_texts: list[str]) -> tuple[str, tuple[int, ...]]:
    """The pages joined by one newline each, and the offset where each page starts."""
    starts, offset = [], 0
    for page_text in page_texts:
        starts.append(offset)
        offset += len(page_text) + 1
    return "\n".join(page_texts), tuple(starts)
