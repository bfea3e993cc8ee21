"""OCR of page images with Tesseract (Debian's tesseract-ocr, Korean, French and English data).

pytesseract is the maintained wrapper around the ``tesseract`` command: it passes the image,
the languages and a timeout, and kills the process when the timeout passes, so one bad page
cannot hold an ingest. Pages are rendered by pypdfium2 (PDFium, the renderer of Chromium),
which reads the image codecs scans use (CCITT fax, JBIG2, JPEG 2000) that pypdf cannot render.

Tesseract's word table (``image_to_data``) is read rather than its plain text: the text is
rebuilt from it (words by spaces, lines by newlines, paragraphs by a blank line) and the words'
boxes are kept with the document, so the viewer can highlight an OCR'd sentence on the page.

Example:
    >>> text, words = ocr_image(Image.open("scan.png"), timeout_s=60)  # doctest: +SKIP
    >>> text  # doctest: +SKIP
    '대규모 언어 모델은 ...'
"""

from __future__ import annotations

import re

from ingest.formats.base import LoadError
from ingest.types import OcrPage, OcrWord

LANGUAGES = "kor+fra+eng"
RENDER_DPI = 300  # Tesseract's accuracy drops sharply below about 300 dpi for body text
_COLUMN_MIN_WORDS = 6
# Hangul syllables of one word were measured 4-12 px apart on a 300 dpi scan with 51 px high
# words, words 17-34 px apart: a gap under 0.3 of the median word height is inside a word.
_SPACE_OF_HEIGHT = 0.3
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


class OcrFailure(Exception):
    """One page could not be read (timeout, Tesseract error); the caller reports it and goes on."""


def ocr_image(image, timeout_s: float, page: int = 1) -> tuple[str, OcrPage]:
    """The text Tesseract reads in a PIL image, with the settings for the script the page is in,
    and the words with their boxes (as page ``page``).

    Measured on generated A4 scans (tests/test_formats.py): Tesseract's automatic page layout
    (--psm 3) cuts Korean lines into scraps (CER 0.68 whatever the languages), and adding the
    Latin models to Korean lowers its accuracy (CER 0.015 with kor alone, 0.077 with kor+eng, at
    --psm 6). So the script is found first (Tesseract's OSD, under a second); a Hangul page is
    read as one block with the Korean model (which also reads Latin letters), any other page with
    automatic layout (it keeps columns apart) and all three languages. One block runs across the
    columns of a two-column Hangul page line by line: its words are put back column by column at
    the gutter their boxes leave (``_gutter``). Measured on a generated two-column Korean A4 scan
    (tests/test_formats.py): CER 0.66 in Tesseract's order at --psm 6 (0.86 at --psm 3, 0.85 at
    --psm 1), 0.012 column by column.
    """
    import pytesseract

    try:
        lang, config = LANGUAGES, "--psm 3"
        hangul = _script(image, timeout_s) in ("Korean", "Hangul")
        if hangul:
            lang, config = "kor", "--psm 6"
        data = pytesseract.image_to_data(image, lang=lang, config=config, timeout=timeout_s,
                                          output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError:
        raise LoadError("OCR needs Tesseract: install tesseract-ocr with its kor, fra and eng data "
                        "(scripts/install.sh)") from None
    except RuntimeError as exc:  # pytesseract's timeout ("Tesseract process timeout"), TesseractError
        raise OcrFailure(str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__) from exc
    return _text_and_words(data, image.size, page, split_columns=hangul)


def _text_and_words(data: dict[str, list], size: tuple[int, int], page: int,
                    split_columns: bool = False) -> tuple[str, OcrPage]:
    """Tesseract's word table as text and as ``OcrWord``s numbered by line (empty words dropped).

    With ``split_columns``, words on either side of a gutter (``_gutter``) are read column by column:
    a single-block layout reads a two-column page line by line across both columns.
    """
    entries = [(i, word.strip()) for i, word in enumerate(data["text"]) if word and word.strip()]
    boxes = {i: (data["left"][i], data["top"][i], data["width"][i], data["height"][i]) for i, _ in entries}
    gutter = _gutter(list(boxes.values())) if split_columns else None
    column = {i: int(gutter is not None and boxes[i][0] >= gutter) for i, _ in entries}
    entries.sort(key=lambda e: column[e[0]])  # stable: Tesseract's order within a column
    heights = sorted(b[3] for b in boxes.values())
    space = _SPACE_OF_HEIGHT * heights[len(heights) // 2] if heights else 0
    parts: list[str] = []
    words: list[OcrWord] = []
    last, line = None, 0
    for i, word in entries:
        key = (column[i], data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key != last:
            if last:
                parts.append("\n\n" if key[:3] != last[:3] else "\n")
            last, line = key, line + 1
        elif _same_word(words[-1], word, boxes[i][0], space):
            parts.append("")
        else:
            parts.append(" ")
        parts.append(word)
        words.append(OcrWord(word, *boxes[i], line))
    return "".join(parts), OcrPage(page, size[0], size[1], tuple(words))


def _same_word(previous: OcrWord, word: str, left: int, space: float) -> bool:
    """Whether ``word`` continues ``previous`` without a space: Tesseract's word table cuts Hangul words
    into syllables (its plain text joins them), and only the gap between the boxes tells them apart."""
    return bool(_HANGUL.match(previous.text[-1]) and _HANGUL.match(word[0])
                and left - (previous.left + previous.width) < space)


def _gutter(boxes: list[tuple[int, int, int, int]]) -> int | None:
    """The x where a page's text splits into two columns, or None for one column.

    A gutter is a vertical strip no word crosses, in the middle half of the text's width, wider than
    1.5 times the median word height (spaces between words are about a third of it), with at least
    ``_COLUMN_MIN_WORDS`` words on each side. A two-column table of that shape is read column by column too.
    """
    if len(boxes) < 2 * _COLUMN_MIN_WORDS:
        return None
    left, right = min(b[0] for b in boxes), max(b[0] + b[2] for b in boxes)
    taken = bytearray(right - left)
    for x, _, w, _ in boxes:
        taken[x - left: x - left + w] = b"\1" * w
    min_gap = 1.5 * sorted(b[3] for b in boxes)[len(boxes) // 2]
    lo, hi = (right - left) // 4, 3 * (right - left) // 4
    best, start = None, None
    for x in range(lo, hi + 1):
        free = x < hi and not taken[x]
        if free and start is None:
            start = x
        elif not free and start is not None:
            if x - start >= min_gap and (best is None or x - start > best[1] - best[0]):
                best = (start, x)
            start = None
    if best is None:
        return None
    cut = left + best[1]
    on_left = sum(b[0] + b[2] <= cut for b in boxes)
    return cut if min(on_left, len(boxes) - on_left) >= _COLUMN_MIN_WORDS else None


def _script(image, timeout_s: float) -> str:
    """The script Tesseract's orientation and script detection finds, "" when it cannot tell."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(image, timeout=timeout_s, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:  # too few characters to judge
        return ""
    return str(osd.get("script", ""))


def render_pdf_page(raw: bytes, index: int):
    """Page ``index`` (0-based) of a PDF as a greyscale PIL image at ``RENDER_DPI``."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(raw)
        try:
            return pdf[index].render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
        finally:
            pdf.close()
    except pypdfium2.PdfiumError as exc:
        raise OcrFailure(f"cannot render the page ({exc})") from exc
