"""Remove text-extraction debris without losing content.

Example:
    >>> clean_text("Title\\nTitle\\nA real sentence (cid:88) here.\\n")
    'Title\\nA real sentence here.\\n'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from core.text import CONTROL_CHARS

_CID = re.compile(r"\s?\(cid:\d+\)")
_BLANK_RUN = re.compile(r"\n{3,}")
_SPACE_RUN = re.compile(r"[ \t]{2,}")

# A line repeated this often across a document is boilerplate (running titles, footers).
_REPEATED_LINE_MIN = 3
_REPEATED_LINE_MIN_CHARS = 10
_JUNK_LINE_MAX_CHARS = 2


def clean_text(text: str) -> str:
    """Normalise Unicode (NFC) and drop extraction debris, keeping every real sentence."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = CONTROL_CHARS.sub("", _CID.sub("", text))
    lines = [_SPACE_RUN.sub(" ", line.rstrip()) for line in text.split("\n")]
    lines = _drop_junk_runs(lines)
    lines = _drop_consecutive_duplicates(lines)
    lines = _drop_repeated_lines(lines)
    cleaned = _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")
    return cleaned + "\n" if cleaned else ""


def clean_pages(pages: list[str]) -> list[str]:
    """``clean_text`` for each page of a PDF, then running titles removed across pages.

    A running header or footer appears once per page, so cleaning pages one by one
    never sees it repeat; this keeps its first copy only, as ``clean_text`` does for
    a whole text file.
    """
    cleaned = [clean_text(page) for page in pages]
    page_lines = [page.split("\n") for page in cleaned]
    repeated = _repeated([line for lines in page_lines for line in lines])
    seen: set[str] = set()
    out = []
    for lines in page_lines:
        kept = []
        for line in lines:
            key = line.strip()
            if key in repeated:
                if key in seen:
                    continue
                seen.add(key)
            kept.append(line)
        text = _BLANK_RUN.sub("\n\n", "\n".join(kept)).strip("\n")
        out.append(text + "\n" if text else "")
    return out


def _is_short(line: str) -> bool:
    return 0 < len(line.strip()) <= _JUNK_LINE_MAX_CHARS


def _drop_junk_runs(lines: list[str]) -> list[str]:
    """Drop one-character lines, and runs of two or more lines of one or two characters.

    Blank lines do not break a run: formula debris is often spread over paragraphs.
    A lone two-character line (a model name such as "T5") is kept.
    """
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    drop: set[int] = set()
    for pos, i in enumerate(nonblank):
        stripped = lines[i].strip()
        if len(stripped) == 1:
            drop.add(i)
            continue
        if not _is_short(stripped):
            continue
        neighbours = [nonblank[p] for p in (pos - 1, pos + 1) if 0 <= p < len(nonblank)]
        if any(_is_short(lines[j]) for j in neighbours):
            drop.add(i)
    return [line for i, line in enumerate(lines) if i not in drop]


def _drop_consecutive_duplicates(lines: list[str]) -> list[str]:
    out: list[str] = []
    last = None
    for line in lines:
        key = line.strip()
        if key and key == last:
            continue
        if key:
            last = key
        out.append(line)
    return out


def _drop_repeated_lines(lines: list[str]) -> list[str]:
    """Keep only the first copy of a longer line that recurs throughout the document."""
    repeated = _repeated(lines)
    seen: set[str] = set()
    out = []
    for line in lines:
        key = line.strip()
        if key in repeated:
            if key in seen:
                continue
            seen.add(key)
        out.append(line)
    return out


def _repeated(lines: list[str]) -> set[str]:
    """Longer lines that occur at least ``_REPEATED_LINE_MIN`` times."""
    counts = Counter(line.strip() for line in lines if len(line.strip()) >= _REPEATED_LINE_MIN_CHARS)
    return {line for line, n in counts.items() if n >= _REPEATED_LINE_MIN}
