"""Check a file and load it into a cleaned ``Document`` with its format's reader, or fail with one line.

The readers live in ``ingest/formats/`` (one module per format); this module picks one by the
file's suffix, and owns what all formats share: size and type checks, manifests, identities.

Example:
    >>> doc = load_document(Path("corpus/harnessing-llms-practical-guide.fr.txt"), max_bytes=20_000_000)
    >>> doc.title  # no manifest given: the file name stands in
    'harnessing-llms-practical-guide.fr'
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ingest.formats import image, opendoc, pdf, plain, slides, web, word
from ingest.formats.base import Extracted, LoadError, PageProgress
from ingest.formats.plain import decode_text
from ingest.types import Document

__all__ = ["LoadError", "decode_text", "load_document", "check_file", "read_manifest", "SourceMeta"]

log = logging.getLogger(__name__)

READERS: dict[str, Callable[..., Extracted]] = {
    suffix: module.read for module in (plain, pdf, word, opendoc, slides, web, image) for suffix in module.SUFFIXES
}
SUPPORTED_SUFFIXES = set(READERS)
MANIFEST_NAME = "manifest.json"
_TITLE_MAX = 120
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_LETTER = re.compile(r"[^\W\d_]")


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


def load_document(
    path: Path,
    max_bytes: int,
    meta: SourceMeta | None = None,
    *,
    ocr_timeout_s: float = 120.0,
    progress: PageProgress | None = None,
) -> Document:
    """Load and clean one file with its format's reader. Raises LoadError with a one-line reason
    (also when the file's size or modification time changed while it was read: a half-written copy).

    ``progress`` gets (done, total) pages where a format reads page by page (OCR of scans);
    each OCR run stops after ``ocr_timeout_s`` seconds, and its page is listed in ``problems``.
    """
    meta = meta or SourceMeta()
    check_file(path, max_bytes)
    try:
        before = path.stat()
        raw = path.read_bytes()
        after = path.stat()
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(raw) != after.st_size:
        raise LoadError("the file changed while it was being read (still being written?); it is read again "
                        "at the next ingest")
    reader = READERS[path.suffix.lower()]
    got = reader(raw, ocr_timeout_s=ocr_timeout_s, progress=progress)
    text = got.text
    if not _LETTER.search(text):  # whitespace, rules and bullets ("---", "* * *"), digits only
        raise LoadError("no text left after cleaning (the file holds only whitespace or debris)")
    source = str(path.resolve())
    return Document(
        doc_id=doc_id_for(source),
        source=source,
        title=meta.title or got.title or _guess_title(text, path),
        text=text,
        content_hash=hashlib.sha256(raw).hexdigest(),
        languages=meta.languages,
        seed=meta.seed,
        pages=got.starts,
        location_kind=got.location_kind,
        problems=got.problems,
        ocr_pages=got.ocr_pages,
        description=meta.source,
    )


def _guess_title(text: str, path: Path) -> str:
    if path.suffix.lower() in {".md", ".markdown", ".docx", ".odt", ".html", ".htm", ".pptx"} and (m := _MD_HEADING.search(text)):
        return m.group(1).strip()[:_TITLE_MAX]
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:_TITLE_MAX] if len(line) <= _TITLE_MAX else path.stem
    return path.stem
