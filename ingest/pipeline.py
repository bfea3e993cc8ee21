"""Incremental ingestion: load, clean, chunk, embed and index what changed.

Documents are identified by their resolved path and the SHA-256 of their
bytes. Unchanged documents keep their chunks and vectors (and take a new
description from the manifest, which no vector holds); changed ones are
re-chunked (and only text never seen before is embedded); documents that
disappeared from an ingested folder are removed. The result is written as a
new index version and switched in atomically; on any failure the previous
version stays live.

Example:
    >>> report = ingest_paths([Path("corpus")], Settings.load())  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    documents: 5 added, 0 changed, 0 removed, 0 unchanged, 0 failed; chunks: 417 (417 embedded); 95.2 s
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from core.errors import UserFacingError
from core.language import document_languages
from core.progress import TqdmProgress
from core.settings import Settings
from ingest.chunk import CHUNKING, chunk_document
from ingest.embed import Embedder, embedding_model_id
from ingest.embed_cache import EmbeddingCache, TextEmbedder
from ingest.index import (
    Index,
    IndexedDocument,
    IngestLock,
    NoIndexError,
    collect_garbage,
    current_version,
    open_index,
    write_next_version,
    write_version,
)
from ingest.load import (
    MANIFEST_NAME,
    LoadError,
    SourceMeta,
    check_file,
    file_hash,
    load_document,
    read_manifest,
)
from ingest.types import Chunk, Document, FileFailure, IngestReport

log = logging.getLogger(__name__)

# (stage, done, total); stages: "scan", "load", "ocr" (the pages of one PDF, read or OCR'd), "embed", "write"
IngestProgress = Callable[[str, int, int], None]


class IngestCancelled(UserFacingError, RuntimeError):
    """The ingest was cancelled; nothing was written and the previous version is still live."""


@dataclass(frozen=True)
class Candidate:
    path: Path
    source: str
    meta: SourceMeta


def discover(paths: Iterable[Path]) -> tuple[list[Candidate], list[FileFailure], list[Path]]:
    """Files to ingest under ``paths``, failures found while looking, and the folders scanned."""
    candidates: list[Candidate] = []
    failures: list[FileFailure] = []
    folders: list[Path] = []
    for root in paths:
        root = Path(root).expanduser()
        if root.is_dir():
            folders.append(root.resolve())
            manifest = read_manifest(root)
            for path in sorted(_walk(root, failures)):
                if path.name == MANIFEST_NAME:
                    continue
                rel = path.relative_to(root).as_posix()
                candidates.append(Candidate(path, str(path.resolve()), manifest.get(rel, SourceMeta())))
        elif root.exists():  # a file, or something that check_file will reject by name (a FIFO, a device)
            manifest = read_manifest(root.parent)
            candidates.append(Candidate(root, str(root.resolve()), manifest.get(root.name, SourceMeta())))
        else:
            failures.append(FileFailure(str(root), "no such file or folder" if not root.is_symlink() else "broken symbolic link"))
    return candidates, failures, folders


def _walk(root: Path, failures: list[FileFailure]) -> list[Path]:
    """Files below ``root``, following no symbolic links to folders (so loops cannot trap us)."""
    found = []
    for path in root.rglob("*"):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # hidden files and folders (.git, .obsidian, editor droppings) are not documents
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                failures.append(FileFailure(str(path), "broken or looping symbolic link"))
                continue
            if target.is_dir():
                continue
        if not path.is_dir():  # FIFOs and devices too, so check_file names them instead of skipping silently
            found.append(path)
    return found


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    embedder: TextEmbedder | None = None,
    progress: IngestProgress | None = None,
    rebuild: bool = False,
    cancel: threading.Event | None = None,
) -> IngestReport:
    """Bring the index in line with ``paths``; see the module docstring.

    Setting ``cancel`` stops the ingest at the next file, scanned page or embedding batch with
    IngestCancelled (Ctrl-C's KeyboardInterrupt stops it the same way): nothing is written, the
    lock is released and the previous version stays live.
    """
    started = time.monotonic()
    report_progress = progress or (lambda stage, done, total: None)

    def progress(stage: str, done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise IngestCancelled("ingest cancelled; nothing was written, the previous index is still live")
        report_progress(stage, done, total)

    index_dir = settings.index_dir
    with IngestLock(index_dir):
        collect_garbage(index_dir)
        previous = _open_previous(index_dir)
        model_id = embedding_model_id(settings) if embedder is None else embedder.model_id
        # Passages embedded by another model, or cut another way, are all redone: unchanged files included.
        rebuild = rebuild or (previous is not None and (previous.embedding_model != model_id
                                                        or previous.chunking != CHUNKING))
        candidates, failures, folders = discover(paths)
        by_source = {d.source: d for d in previous.documents.values()} if previous else {}

        unchanged: list[IndexedDocument] = []
        to_load: list[tuple[Candidate, str]] = []
        hashes_seen: dict[str, str] = {}
        progress("scan", 0, len(candidates))
        max_bytes = int(settings.max_file_mb * 1e6)
        for i, cand in enumerate(candidates, start=1):
            try:
                # Before hashing: reading a FIFO would block forever, and an oversized file is read for nothing.
                check_file(cand.path, max_bytes)
            except LoadError as exc:
                failures.append(FileFailure(str(cand.path), str(exc)))
                continue
            try:
                digest = file_hash(cand.path)
            except OSError as exc:
                failures.append(FileFailure(str(cand.path), f"cannot read file ({exc.strerror or exc})"))
                continue
            old = by_source.get(cand.source)
            if old and old.content_hash == digest and not rebuild:
                unchanged.append(old)
                hashes_seen[digest] = cand.source
            else:
                to_load.append((cand, digest))
            progress("scan", i, len(candidates))

        # Identical bytes under another name would only duplicate passages.
        for doc in by_source.values():
            hashes_seen.setdefault(doc.content_hash, doc.source)

        loaded: list[Document] = []
        warnings: list[FileFailure] = []
        for i, (cand, digest) in enumerate(to_load, start=1):
            progress("load", i - 1, len(to_load))
            twin = hashes_seen.get(digest)
            if twin and twin != cand.source:
                failures.append(FileFailure(str(cand.path), f"duplicate of already indexed {twin}; skipped"))
                continue
            try:
                doc = load_document(cand.path, max_bytes, cand.meta, ocr_timeout_s=settings.ocr_page_timeout_s,
                                    progress=lambda done, total: progress("ocr", done, total))
            except LoadError as exc:
                failures.append(FileFailure(str(cand.path), str(exc)))
                continue
            except OSError as exc:
                failures.append(FileFailure(str(cand.path), f"cannot read file ({exc.strerror or exc})"))
                continue
            hashes_seen[digest] = cand.source
            loaded.append(doc)
            warnings.extend(FileFailure(str(cand.path), problem) for problem in doc.problems)
        progress("load", len(to_load), len(to_load))

        seen_sources = {c.source for c in candidates}
        # realpath, not Path.resolve(): that raises on a symbolic link loop, which is a failure listed here.
        failed_sources = {os.path.realpath(f.path) for f in failures}
        removed = [
            d for d in by_source.values()
            if d.source not in seen_sources and _under(d.source, folders) and d.source not in failed_sources
        ]
        added = [d for d in loaded if d.source not in by_source]
        changed = [d for d in loaded if d.source in by_source]
        kept = [d for d in by_source.values() if d not in removed and d.source not in {x.source for x in loaded}]
        kept, redescribed = _described_anew(kept, candidates)

        report_kwargs = dict(
            added=tuple(d.source for d in added),
            changed=tuple(d.source for d in changed),
            removed=tuple(d.source for d in removed),
            unchanged=tuple(d.source for d in unchanged),
            failed=tuple(failures),
            warnings=tuple(warnings),
        )
        if not (added or changed or removed or redescribed) and (previous is not None or not loaded):
            return IngestReport(**report_kwargs, chunks=len(previous.chunks) if previous else 0, embedded=0,
                                seconds=time.monotonic() - started, version=previous.version if previous else "")

        embedder = embedder or Embedder.load(settings)
        new_chunks: list[Chunk] = []
        new_docs: list[IndexedDocument] = []
        for doc in loaded:
            chunks = chunk_document(doc, settings.chunk_max_tokens, settings.chunk_overlap_sentences)
            new_chunks.extend(chunks)
            new_docs.append(
                IndexedDocument(
                    doc_id=doc.doc_id, source=doc.source, title=doc.title,
                    languages=doc.languages or document_languages([c.text for c in chunks]),
                    seed=doc.seed, content_hash=doc.content_hash, chunk_count=len(chunks),
                    ingested_at=time.time(), location_kind=doc.location_kind, description=doc.description,
                )
            )
        kept_ids = {d.doc_id for d in kept}
        kept_rows = [i for i, c in enumerate(previous.chunks) if c.doc_id in kept_ids] if previous else []
        kept_chunks = [previous.chunks[i] for i in kept_rows] if previous else []
        # Vectors of two models never share an index: after a model change, documents kept
        # from the previous version (e.g. from another folder) are embedded again too.
        reembed = kept_chunks if previous is not None and previous.embedding_model != embedder.model_id else []
        to_embed = reembed + new_chunks
        cache = EmbeddingCache(settings.embedding_cache_path)
        try:
            titles_by_doc = {d.doc_id: d.title for d in [*kept, *new_docs]}
            new_vectors, new_sentence_vectors, embedded = embedder.encode_chunks_cached(
                to_embed, cache, progress=lambda d, t: progress("embed", d, t),
                titles=[titles_by_doc[c.doc_id] for c in to_embed],
            )
        finally:
            cache.close()

        progress("write", 0, 1)
        ocr_pages = previous.ocr_pages_of(sorted(kept_ids)) if previous and kept_ids else {}
        ocr_pages.update({doc.doc_id: list(doc.ocr_pages) for doc in loaded if doc.ocr_pages})
        if kept_rows and not reembed:
            version = write_next_version(index_dir, previous, kept_rows, kept + new_docs, new_chunks, new_vectors,
                                         new_sentence_vectors, ocr_pages)
        else:  # new_vectors are every passage's: the kept ones' re-embedded (to_embed) or none kept
            version = write_version(index_dir, kept + new_docs, to_embed, new_vectors, embedder.model_id,
                                    new_sentence_vectors, ocr_pages)
        collect_garbage(index_dir)
        report_progress("write", 1, 1)  # the version is live: too late to cancel
        return IngestReport(**report_kwargs, chunks=len(kept_chunks) + len(new_chunks), embedded=embedded,
                            seconds=time.monotonic() - started, version=version)


def remove_documents(sources: Iterable[str], settings: Settings) -> IngestReport:
    """Remove the named documents (by source path or document id) and write a new version."""
    started = time.monotonic()
    with IngestLock(settings.index_dir):
        index = open_index(settings.index_dir)
        wanted = set(sources) | {str(Path(s).expanduser().resolve()) for s in sources}
        gone = [d for d in index.documents.values() if d.source in wanted or d.doc_id in wanted]
        gone_ids = {d.doc_id for d in gone}
        rows = [i for i, c in enumerate(index.chunks) if c.doc_id not in gone_ids]
        if gone:
            none = np.zeros((0, index.dim), np.float32)
            version = write_next_version(
                settings.index_dir, index, rows, [d for d in index.documents.values() if d.doc_id not in gone_ids],
                [], none, none, index.ocr_pages_of([d for d in index.documents if d not in gone_ids]),
            )
            collect_garbage(settings.index_dir)
        else:
            version = index.version
        return IngestReport(removed=tuple(sorted({d.source for d in gone})), chunks=len(rows),
                            seconds=time.monotonic() - started, version=version)


def _described_anew(kept: list[IndexedDocument], candidates: list[Candidate]) -> tuple[list[IndexedDocument], int]:
    """``kept`` with the descriptions their manifest gives now, and how many changed: a description is in no vector,
    so nothing is embedded again for it."""
    descriptions = {c.source: c.meta.source for c in candidates}
    redescribed = {d.source for d in kept if d.source in descriptions and descriptions[d.source] != d.description}
    if redescribed:
        log.info("new descriptions for %d unchanged documents", len(redescribed))
    return [replace(d, description=descriptions[d.source]) if d.source in redescribed else d for d in kept], len(redescribed)


def ensure_index(settings: Settings) -> None:
    """Ingest the bundled corpus when no index exists yet (first run)."""
    if current_version(settings.index_dir) is not None:
        return
    log.info("no index yet: ingesting the bundled corpus from %s (first run only)", settings.corpus_dir)
    with TqdmProgress() as progress:
        report = ingest_paths([settings.corpus_dir], settings, progress=progress)
    log.info("%s", report.summary())


def _open_previous(index_dir: Path) -> Index | None:
    try:
        return open_index(index_dir)
    except NoIndexError:
        return None


def _under(source: str, folders: list[Path]) -> bool:
    path = Path(source)
    return any(path == f or f in path.parents for f in folders)
