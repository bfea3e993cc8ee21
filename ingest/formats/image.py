"""PNG and JPEG images: the text OCR reads in them (see ``ocr``); Pillow decodes the image."""

from __future__ import annotations

import io

from core.text import LETTER
from ingest.clean import clean_pages
from ingest.formats.base import Extracted, LoadError, PageProgress
from ingest.formats.ocr import OcrFailure, ocr_image

SUFFIXES = {".png", ".jpg", ".jpeg"}


def read(raw: bytes, *, ocr_timeout_s: float, progress: PageProgress | None = None) -> Extracted:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise LoadError(f"not a readable PNG or JPEG image ({str(exc)[:120]})") from exc
    try:
        text, words = ocr_image(image, ocr_timeout_s)
    except OcrFailure as exc:
        raise LoadError(f"OCR failed ({exc})") from exc
    if progress:
        progress(1, 1)
    (text,) = clean_pages([text])
    if not LETTER.search(text):
        raise LoadError("no text found in the image (OCR read none)")
    return Extracted(text=text, ocr_pages=(words,))
