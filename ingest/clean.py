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

# Typographic ligatures (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) expanded by NFKC. NFKC is applied to these alone: on
# whole text it would also rewrite Hangul compatibility jamo, full-width forms and superscripts.
_LIGATURES = re.compile("[\ufb00-\ufb06]")
# A word cut by a line-end hyphen: letters, "-", newline, a lower-case continuation.
_HYPHENATED = re.compile(r"([^\W\d_]+)-\n([^\W\d_A-ZÀ-ÖØ-Þ][^\s]*)[ \t]?")
# A line that is only a page number: "12", "- 12 -", "Page 12", "12 / 40", "p. 12".
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?(?:page\s+|p\.\s*)?\d{1,4}(?:\s*(?:/|of|sur)\s*\d{1,4})?(?:\s*[-–—])?\s*$",
                          re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
# A header or footer with the page number at one end and no sentence end: "12  Methods", "Survey | 12".
_NUMBERED_EDGE = re.compile(r"^\s*(?:\d{1,4}\s+\S.*\S|\S.*\s\d{1,4})\s*$(?<![.!?:;])")
_EDGE_LINES = 1  # running headers and footers are a page's first or last line

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
    cleaned = [clean_text(join_hyphenated(expand_ligatures(page))) for page in pages]
    page_lines = _drop_running_edges([page.split("\n") for page in cleaned])
    page_lines = [_drop_page_numbers(lines) for lines in page_lines]
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


def expand_ligatures(text: str) -> str:
    """"ﬁne" -> "fine": the ligature characters alone are NFKC-normalised."""
    return _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def join_hyphenated(text: str) -> str:
    """"adip-\\niscing elit" -> "adipiscing\\nelit": a word split at a line end is made whole.

    Only a lower-case continuation is joined, so "Hugging-\\nFace" and "GPT-\\n4" stay as they are.
    """
    return _HYPHENATED.sub(lambda m: f"{m.group(1)}{m.group(2)}\n", text)


def _edge_indexes(lines: list[str]) -> set[int]:
    """Positions of a page's first and last ``_EDGE_LINES`` non-blank lines."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    return set(nonblank[:_EDGE_LINES] + nonblank[-_EDGE_LINES:])


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Drop a page-number line among the first or last lines of a page."""
    edges = _edge_indexes(lines)
    return [line for i, line in enumerate(lines) if not (i in edges and _PAGE_NUMBER.match(line))]


def _drop_running_edges(page_lines: list[list[str]]) -> list[list[str]]:
    """Drop running headers and footers that carry the page number ("3  Methods", "Survey — 12").

    Such a line differs on every page, so it is compared with its digits blanked out; one found
    at the edge of at least ``_REPEATED_LINE_MIN`` pages is dropped from every page. Only lines with
    the number at one end and no sentence end are candidates: body lines at a page's edge are not.
    """
    def key(line: str) -> str:
        return _DIGITS.sub("#", line.strip())

    edge_keys = [
        {i: key(lines[i]) for i in _edge_indexes(lines) if _NUMBERED_EDGE.match(lines[i])} for lines in page_lines
    ]
    counts = Counter(k for keys in edge_keys for k in set(keys.values()))
    variants: dict[str, set[str]] = {}
    for lines, keys in zip(page_lines, edge_keys):
        for i, k in keys.items():
            variants.setdefault(k, set()).add(lines[i].strip())
    # A line that never changes is left to the repeated-line rule (which keeps its first copy).
    running = {k for k, n in counts.items() if n >= _REPEATED_LINE_MIN and len(variants[k]) > 1}
    return [
        [line for i, line in enumerate(lines) if keys.get(i) not in running]
        for lines, keys in zip(page_lines, edge_keys)
    ]


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
