"""Uploaded files: checked, copied into ``<data_dir>/uploads`` and ingested from there, as one transaction.

Each file is checked with the same rules and reasons as ``survey-rag ingest`` (type, size,
readable text) before anything is placed; the good ones are moved into the uploads folder
and ingested together. Whatever fails is rolled back: its copy is removed and a file it
replaced (an earlier upload of the same name) is put back, so nothing that was indexed is lost.

Example:
    >>> report = add_uploads([Path("~/notes.md").expanduser()], settings)  # doctest: +SKIP
    >>> [str(f) for f in report.rejected], report.added  # doctest: +SKIP
    ([], ('/home/me/.survey-rag/uploads/notes.md',))
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from core.settings import Settings
from ingest.index import IngestLockedError
from ingest.load import SUPPORTED_SUFFIXES, LoadError, check_file, load_document
from ingest.pipeline import ingest_paths, remove_documents
from ingest.types import FileFailure, IngestReport

UPLOADS = "uploads"

Ingest = Callable[[list[Path]], IngestReport]


@dataclass(frozen=True)
class UploadReport:
    """What happened to one batch of uploads."""

    added: tuple[str, ...] = ()  # paths in the uploads folder that are now indexed
    rejected: tuple[FileFailure, ...] = ()  # by the uploaded file's (sanitised) name, with the reason
    report: IngestReport | None = None  # None when no file got as far as the ingest
    locked: bool = False  # another ingest was running: nothing was changed


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / UPLOADS


def sanitize_filename(name: str, max_stem: int = 100) -> str:
    """A safe base name for an uploaded file: no folders, no control or odd characters.

    >>> sanitize_filename("../../etc/passwd")
    'passwd'
    >>> sanitize_filename("C:\\\\Users\\\\me\\\\리포트 v2.TXT")
    '리포트 v2.txt'
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch if ch.isalnum() or ch in "._- ()" else "_" for ch in base)
    base = re.sub(r"\s+", " ", base).strip().lstrip("._- ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .")[:max_stem].strip(" .") or "upload"
    suffix = suffix.lower()[:12]
    return f"{stem}.{suffix}" if suffix else stem


def add_uploads(files: Iterable[str | Path], settings: Settings, ingest: Ingest | None = None) -> UploadReport:
    """Check, copy into ``<data_dir>/uploads`` and ingest ``files``; roll back whatever fails.

    ``ingest`` indexes the placed files (default: ``ingest_paths`` with the settings' embedder);
    the page passes one with its loaded embedder and a progress bar.
    """
    ingest = ingest or (lambda paths: ingest_paths(paths, settings))
    uploads = uploads_dir(settings)
    staging = uploads / ".staging" / uuid.uuid4().hex
    staging.mkdir(parents=True, exist_ok=True)
    try:
        staged, rejected = _stage(files, staging, settings)
        if not staged:
            return UploadReport(rejected=tuple(rejected))
        placed = _Placed(uploads, staging)
        for target in staged:
            placed.put(target)
        try:
            report = ingest(placed.paths())
        except IngestLockedError:
            placed.restore_all()
            return UploadReport(rejected=tuple(rejected), locked=True)
        except BaseException:
            placed.restore_all()
            raise
        rejected += placed.restore_failed(report.failed)
        return UploadReport(added=tuple(str(p) for p in placed.paths()), rejected=tuple(rejected), report=report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.parent.rmdir()  # only when no other batch is using it
        except OSError:
            pass


def remove_upload(source: str, settings: Settings) -> IngestReport:
    """Remove the document ``source`` from the index and, when it was uploaded, its copy in the uploads folder
    (or a later batch would not know it was removed). Raises IngestLockedError while another ingest runs."""
    report = remove_documents([source], settings)
    path = Path(source)
    if report.removed and uploads_dir(settings).resolve() in path.parents:
        path.unlink(missing_ok=True)
    return report


def _stage(files: Iterable[str | Path], staging: Path, settings: Settings) -> tuple[list[Path], list[FileFailure]]:
    """Copy each acceptable file into ``staging`` under a sanitised, unique name; the others with their reason."""
    staged: list[Path] = []
    rejected: list[FileFailure] = []
    taken: set[str] = set()
    for f in files:
        src = Path(f)
        name = _unique(sanitize_filename(src.name), taken)
        try:
            _copy_checked(src, staging / name, settings)
        except LoadError as exc:
            rejected.append(FileFailure(name, str(exc)))
            continue
        except OSError as exc:
            rejected.append(FileFailure(name, f"cannot read file ({exc.strerror or exc})"))
            continue
        taken.add(name)
        staged.append(staging / name)
    return staged, rejected


def _copy_checked(src: Path, target: Path, settings: Settings) -> None:
    """Copy ``src`` to ``target`` if it passes the upload limit and the checks of ``survey-rag ingest``.

    Raises LoadError (or OSError) with the reason otherwise.
    """
    max_bytes = int(settings.max_upload_mb * 1e6)
    size = src.stat().st_size
    if target.suffix.lower() not in SUPPORTED_SUFFIXES:
        check_file(target, max_bytes)  # not copied yet: raises the CLI's "unsupported file type"
    if size > max_bytes:
        raise LoadError(f"file too large ({size / 1e6:.1f} MB > {settings.max_upload_mb:g} MB upload limit)")
    shutil.copyfile(src, target)
    load_document(target, int(min(settings.max_upload_mb, settings.max_file_mb) * 1e6))


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, i = name, 2
    while candidate in taken:
        candidate = f"{stem}-{i}.{suffix}" if suffix else f"{stem}-{i}"
        i += 1
    return candidate


class _Placed:
    """Staged files moved into the uploads folder, each with a backup of the file it replaced (if any)."""

    def __init__(self, uploads: Path, staging: Path):
        self.uploads = uploads
        self.staging = staging
        self.backups: dict[Path, Path | None] = {}  # final path -> backup of the file it replaced

    def put(self, staged: Path) -> None:
        final = self.uploads / staged.name
        backup = None
        if final.exists():
            backup = self.staging / (staged.name + ".previous")
            shutil.move(final, backup)
        shutil.move(staged, final)
        self.backups[final] = backup

    def paths(self) -> list[Path]:
        return list(self.backups)

    def restore(self, final: Path) -> None:
        backup = self.backups.pop(final)
        final.unlink(missing_ok=True)
        if backup is not None:
            shutil.move(backup, final)

    def restore_all(self) -> None:
        for final in self.paths():
            self.restore(final)

    def restore_failed(self, failed: Iterable[FileFailure]) -> list[FileFailure]:
        """Roll back the files the ingest failed; their failures, by file name."""
        by_path = {str(Path(f.path).resolve()): f for f in failed}
        rejected = []
        for final in self.paths():
            failure = by_path.get(str(final.resolve()))
            if failure is not None:
                rejected.append(FileFailure(final.name, failure.reason))
                self.restore(final)
        return rejected
