"""Read .txt, .md and .pdf files into cleaned ``Document``s, or fail with one clear line.

Example:
    >>> doc = load_document(Path("corpus/harnessing-llms-practical-guide.fr.txt"), max_bytes=20_000_000)
    >>> doc.title[:8]
    'Exploite'
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserFacingError
from ingest.clean import clean_pages, clean_text
from ingest.types import Document

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES
MANIFEST_NAME = "manifest.json"
# Legacy encodings tried for text that is not UTF-8: Korean (CP949 is a superset of EUC-KR)
# and Western European (CP1252 is a superset of the printable Latin-1 range).
LEGACY_ENCODINGS = ("cp949", "cp1252")
_TITLE_MAX = 120
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_LETTER = re.compile(r"[^\W\d_]")


class LoadError(UserFacingError, ValueError):
    """A file cannot be ingested; the message is one line naming the cause."""


@dataclass(frozen=True)
class SourceMeta:
    """Metadata a manifest can give a file: title, languages, source and seed name."""

    title: str = ""
    languages: tuple[str, ...] = ()
    source: str = ""
    seed: str = ""


def read_manifest(folder: Path) -> dict[str, SourceMeta]:
    """Read ``manifest.json`` in ``folder`` (file name -> metadata); {} when there is none."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"{path}: unreadable manifest ({exc})") from exc
    return {
        name: SourceMeta(
            title=entry.get("title", ""),
            languages=tuple(entry.get("languages", ())),
            source=entry.get("source", ""),
            seed=entry.get("seed", ""),
        )
        for name, entry in raw.items()
    }


def doc_id_for(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def check_file(path: Path, max_bytes: int) -> None:
    """Raise LoadError unless ``path`` is a readable, supported, non-empty file within the size limit."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name: it could be neither stored nor shown
        raise LoadError("file name is not valid UTF-8; rename the file") from None
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(f"unsupported file type {suffix or '(none)'!r}; supported: {kinds}")
    try:
        st = path.stat()
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    if not path.is_file():
        raise LoadError("not a regular file")
    if st.st_size == 0:
        raise LoadError("empty file")
    if st.st_size > max_bytes:
        raise LoadError(
            f"file too large ({st.st_size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB limit; "
            "split it or raise SURVEY_RAG_MAX_FILE_MB)"
        )


def load_document(path: Path, max_bytes: int, meta: SourceMeta | None = None) -> Document:
    """Load and clean one file. Raises LoadError with a one-line reason."""
    meta = meta or SourceMeta()
    check_file(path, max_bytes)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    if path.suffix.lower() in PDF_SUFFIXES:
        text, pages, pdf_title = _read_pdf(raw)
    else:
        text, pages, pdf_title = clean_text(decode_text(raw)), (), ""
    if not _LETTER.search(text):  # whitespace, rules and bullets ("---", "* * *"), digits only
        raise LoadError("no text left after cleaning (the file holds only whitespace or debris)")
    source = str(path.resolve())
    return Document(
        doc_id=doc_id_for(source),
        source=source,
        title=meta.title or pdf_title or _guess_title(text, path),
        text=text,
        content_hash=hashlib.sha256(raw).hexdigest(),
        languages=meta.languages,
        seed=meta.seed,
        pages=pages,
    )


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


def _read_pdf(raw: bytes) -> tuple[str, tuple[int, ...], str]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise LoadError(f"encrypted PDF that cannot be opened ({exc})") from exc
            if not ok:
                raise LoadError("encrypted PDF (a password is required); save an unencrypted copy")
        page_texts = clean_pages([page.extract_text() or "" for page in reader.pages])
        title = ""
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip()[:_TITLE_MAX]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc
    if not any(t.strip() for t in page_texts):
        pages = f"{len(page_texts)} page{'' if len(page_texts) == 1 else 's'}"
        raise LoadError(f"PDF has no extractable text ({pages}; scanned images need OCR first)")
    text, starts, offset = [], [], 0
    for page_text in page_texts:
        starts.append(offset)
        text.append(page_text)
        offset += len(page_text) + 1
    return "\n".join(text), tuple(starts), title


def _guess_title(text: str, path: Path) -> str:
    if path.suffix.lower() in {".md", ".markdown"} and (m := _MD_HEADING.search(text)):
        return m.group(1).strip()[:_TITLE_MAX]
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:_TITLE_MAX] if len(line) <= _TITLE_MAX else path.stem
    return path.stem
