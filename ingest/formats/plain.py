"""Plain text and Markdown: decode the bytes (UTF-8, UTF-16, or a legacy ko/fr/en encoding).

Example:
    >>> decode_text("déjà vu, café noir".encode("cp1252"))
    'déjà vu, café noir'
"""

from __future__ import annotations

import logging

from ingest.clean import clean_text
from ingest.formats.base import Extracted, LoadError

log = logging.getLogger(__name__)

SUFFIXES = {".txt", ".md", ".markdown"}
# Legacy encodings tried for text that is not UTF-8: Korean (CP949 is a superset of EUC-KR)
# and Western European (CP1252 is a superset of the printable Latin-1 range).
LEGACY_ENCODINGS = ("cp949", "cp1252")


def read(raw: bytes, *, ocr_timeout_s: float = 0.0, progress=None) -> Extracted:
    return Extracted(text=clean_text(decode_text(raw)))


def decode_text(raw: bytes) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or a detected legacy encoding.

    Legacy text is decoded as CP949 (Korean) or CP1252 (French, English), whichever
    reads as text; anything else is rejected with one line asking for UTF-8. Damaged UTF-8
    is kept: a character cut off by truncation is dropped, a few stray bytes become U+FFFD.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError("invalid UTF-16 text") from exc
    if b"\x00" in raw[:65536]:
        raise LoadError("binary file (contains NUL bytes), not text")
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(body) - 3:
            log.info("UTF-8 text cut short in the middle of a character; the partial character is dropped")
            return body[: exc.start].decode("utf-8")
    from charset_normalizer import from_bytes

    # Only the legacy encodings of the corpus languages are candidates: unrestricted detection
    # guesses wrong on short texts (a latin-1 French paragraph came out as Baltic cp1257, a
    # short one as UTF-16), and a wrong guess silently corrupts every accented letter.
    best = from_bytes(raw[:1_000_000], cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None or best.encoding is None:
        text = body.decode("utf-8", errors="replace")
        damaged = text.count("\ufffd")
        if damaged <= max(8, len(body) // 2000):  # UTF-8 with a few stray bytes: keep it, mark them
            log.warning("%d invalid UTF-8 byte sequence(s) replaced by U+FFFD", damaged)
            return text
        raise LoadError(
            "not valid UTF-8, UTF-16 (with BOM), CP949/EUC-KR or CP1252/Latin-1 text (binary file?); "
            "convert it to UTF-8"
        )
    if best.chaos > 0.3:
        raise LoadError(f"text encoding unclear (best guess {best.encoding}); convert the file to UTF-8")
    log.info("decoded as %s", best.encoding)
    return raw.decode(best.encoding, errors="replace")
