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
    >>> text
    '대규모 언어 모델은 ...'
"""

from __future__ import annotations

from ingest.formats.base import LoadError
from ingest.types import OcrPage, OcrWord

LANGUAGES = "kor+fra+eng"
RENDER_DPI = 300  # Tesseract's accuracy drops sharply below about 300 dpi for body text


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
    automatic layout (it keeps columns apart) and all three languages.
    """
    import pytesseract

    try:
        lang, config = LANGUAGES, "--psm 3"
        if _script(image, timeout_s) in ("Korean", "Hangul"):
            lang, config = "kor", "--psm 6"
        data = pytesseract.image_to_data(image, lang=lang, config=config, timeout=timeout_s,
                                          output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError:
        raise LoadError("OCR needs Tesseract: install tesseract-ocr with its kor, fra and eng data "
                        "(scripts/install.sh)") from None
    except RuntimeError as exc:  # pytesseract's timeout ("Tesseract process timeout"), TesseractError
        raise OcrFailure(str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__) from exc
    return _text_and_words(data, image.size, page)


def _text_and_words(data: dict[str, list], size: tuple[int, int], page: int) -> tuple[str, OcrPage]:
    """Tesseract's word table as text and as ``OcrWord``s numbered by line (empty words dropped)."""
    parts: list[str] = []
    words: list[OcrWord] = []
    last, line = None, 0
    for i, raw in enumerate(data["text"]):
        word = (raw or "").strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key != last:
            if last:
                parts.append("\n\n" if key[:2] != last[:2] else "\n")
            last, line = key, line + 1
        else:
            parts.append(" ")
        parts.append(word)
        words.append(OcrWord(word, data["left"][i], data["top"][i], data["width"][i], data["height"][i], line))
    return "".join(parts), OcrPage(page, size[0], size[1], tuple(words))


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
