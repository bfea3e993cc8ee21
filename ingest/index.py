"""Versioned on-disk index: FAISS vectors plus SQLite metadata, switched in atomically.

Layout of ``index_dir``::

    CURRENT             name of the live version (replaced with os.replace)
    ingest.lock         held (flock) by the one ingest allowed at a time
    v20261123T050102-1234-ab12/
        vectors.faiss   one vector per chunk, row i = chunk row i in meta (unless slots.npy says otherwise)
        slots.npy       only in a version written incrementally over an HNSW index: the slot of each
                        chunk row's vector (slots no row names hold vectors of removed passages)
        sentences.npy   one vector per chunk sentence, chunk by chunk in row order (float16; float32 in
                        versions written before issue 19), memory-mapped when opened
        hubness.npy     each sentence's hubness (``sentence_hubness``), float32; computed when a version
                        written before it was kept is opened
        meta.sqlite     documents and chunks (with their sentence spans), OCR word boxes of scanned pages
        manifest.json   counts and the embedding model id, written last

A version directory is complete before CURRENT names it, so a reader never
sees a half-written index, and a crash at any moment leaves the previous
version in place.

Example:
    >>> index = open_index(Path("~/.local/share/survey-rag/index").expanduser())  # doctest: +SKIP
    >>> index.search(query_vector, k=5)  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import secrets
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from core.durable import fsync_dir, fsync_file
from core.errors import UserFacingError
from ingest.chunk import CHUNKING
from ingest.types import Chunk, IndexedDocument, OcrPage

log = logging.getLogger(__name__)

POINTER = "CURRENT"
LOCK = "ingest.lock"
_KEEP_VERSIONS = 2  # the live one and the one before, for readers that are still opening it
HNSW_THRESHOLD = 50_000  # above this many vectors an approximate index answers faster
# Sentence vectors are only compared with a question to rank sentences; float16 halves the file and
# the pages read (unit vectors' cosines move by < 1e-3: tests/test_index.py).
SENTENCE_DTYPE = np.float16
# Share of an HNSW index's vectors that may belong to removed passages before the next version rebuilds
# it: each dead vector still costs memory and a hop in the graph.
MAX_DEAD_SHARE = 0.1


class IndexStoreError(UserFacingError, RuntimeError):
    """The index is missing, locked or inconsistent; the message says what to do."""


class NoIndexError(IndexStoreError):
    pass


class IngestLockedError(IndexStoreError):
    pass


@dataclass(frozen=True)
class SlotMap:
    """Where each chunk row's vector sits in an HNSW index that kept the vectors of removed passages
    (HNSW cannot delete): rebuilding a 100,000-vector graph to change one document takes minutes, adding
    to it and leaving the old vectors unreachable takes seconds."""

    slots: np.ndarray  # int64, chunk row -> slot
    rows: np.ndarray  # int64, slot -> chunk row, -1 for a removed passage's vector
    params: faiss.SearchParametersHNSW  # searches live slots only
    bitmap: np.ndarray  # uint8, live slots bit by bit, kept alive for the selector in params

    @classmethod
    def of(cls, slots: np.ndarray, ntotal: int, ef_search: int) -> "SlotMap":
        slots = np.asarray(slots, dtype=np.int64)
        rows = np.full(ntotal, -1, dtype=np.int64)
        rows[slots] = np.arange(len(slots))
        bitmap = np.packbits(rows >= 0, bitorder="little")
        params = faiss.SearchParametersHNSW()
        params.sel = faiss.IDSelectorBitmap(ntotal, faiss.swig_ptr(bitmap))
        params.efSearch = ef_search
        return cls(slots, rows, params, bitmap)

    @property
    def dead(self) -> int:
        return len(self.rows) - len(self.slots)


_SCAN_BLOCK = 32768  # sentence vectors converted to float32 at a time (96 MB at 768 dimensions)
# Hubness: how close a sentence sits to many others. A survey's key point restated in several places, or a general
# claim about LLMs, is near most questions of a kind and outranked the sentence that answers ("Lorsque les données
# étiquetées sont limitées, le LLM est meilleur que le modèle affiné …" opened four failing French answers to "LLM
# or fine-tuned model?", whatever the task asked about; session 58). The mean similarity to the nearest
# HUB_NEIGHBOURS sentences measures it; a sentence's translations and repeats are left out as neighbours (a
# parallel corpus would make every sentence a hub of its twins). Compared against a fixed sample of _HUB_REFERENCE
# sentences in a large collection, so the cost stays linear: 3.7 s for 100,000 sentences on this 2-core machine,
# quiet (8.6 s beside an evaluation run; session 58), next to days of embedding them.
HUB_NEIGHBOURS = 20
_HUB_REFERENCE = 4096
_TWIN_SIMILARITY = 0.92
_HUB_BLOCK = 1024


@dataclass(frozen=True)
class Index:
    """One opened index version, held in memory and never modified."""

    version: str
    path: Path
    documents: dict[str, IndexedDocument]
    chunks: tuple[Chunk, ...]  # position = vector row
    vectors: faiss.Index
    embedding_model: str
    sentence_vectors: np.ndarray  # (total sentences, dim), float16 (float32 in old versions), memory-mapped
    sentence_starts: tuple[int, ...]  # chunk row r owns sentence rows [starts[r], starts[r + 1])
    sentence_hubness: np.ndarray  # (total sentences,), ``sentence_hubness``
    slot_map: SlotMap | None = None  # None: chunk row r's vector is the index's row r
    chunking: str = ""  # ingest.chunk.CHUNKING when written ("" before it was recorded)

    @property
    def dim(self) -> int:
        return self.vectors.d

    def sentence_vectors_of(self, row: int) -> np.ndarray:
        """The sentence vectors of chunk ``row``, as float32 (read from the memory-mapped file)."""
        return np.asarray(self.sentence_vectors[self.sentence_starts[row] : self.sentence_starts[row + 1]],
                          dtype=np.float32)

    def sentence_hubness_of(self, row: int) -> np.ndarray:
        """The hubness of chunk ``row``'s sentences (``sentence_hubness``)."""
        return self.sentence_hubness[self.sentence_starts[row] : self.sentence_starts[row + 1]]

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Rows and cosine scores of the ``k`` nearest chunks to one normalised query vector."""
        if not self.chunks:
            return []
        query = query.reshape(1, -1).astype(np.float32)
        k = min(k, len(self.chunks))
        if self.slot_map is None:
            scores, rows = self.vectors.search(query, k)
        else:
            scores, slots = self.vectors.search(query, k, params=self.slot_map.params)
            rows = np.where(slots >= 0, self.slot_map.rows[slots], -1)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def slots_of(self, rows: list[int] | np.ndarray) -> np.ndarray:
        """The vector index's slots holding these chunk rows' vectors."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self.slot_map is None else self.slot_map.slots[rows]

    def vectors_of(self, rows: list[int] | np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.vectors.reconstruct_batch(self.slots_of(rows))

    def sentence_vectors_of_rows(self, rows: list[int] | np.ndarray) -> np.ndarray:
        """The sentence vectors of these chunk rows, in order, as stored (one gather, for a new version)."""
        starts = np.asarray(self.sentence_starts, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        counts = starts[rows + 1] - starts[rows]
        # Sentence row of each output row: its chunk's first sentence plus its place within the chunk.
        first = np.repeat(starts[rows], counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.sentence_vectors[first + within]

    def nearest_sentences(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk row, similarity) of the ``k`` sentences nearest one normalised query vector, best first: an
        exact scan of the memory-mapped sentence vectors, a block at a time."""
        total = len(self.sentence_vectors)
        if k <= 0 or not total:
            return []
        sims = np.empty(total, dtype=np.float32)
        for start in range(0, total, _SCAN_BLOCK):
            block = np.asarray(self.sentence_vectors[start:start + _SCAN_BLOCK], dtype=np.float32)
            sims[start:start + len(block)] = block @ query
        best = np.argpartition(-sims, min(k, total) - 1)[:k] if k < total else np.arange(total)
        best = best[np.argsort(-sims[best])]
        rows = np.searchsorted(np.asarray(self.sentence_starts), best, side="right") - 1
        return [(int(r), float(sims[i])) for r, i in zip(rows, best)]

    def document_of(self, chunk: Chunk) -> IndexedDocument:
        return self.documents[chunk.doc_id]

    def ocr_page(self, doc_id: str, page: int) -> OcrPage | None:
        """The words OCR read on ``page`` of the document, None when that page was not OCR'd."""
        rows = self._ocr_rows("WHERE doc_id = ? AND page = ?", (doc_id, page))
        return OcrPage.from_json(*rows[0][1:]) if rows else None

    def ocr_pages_of(self, doc_ids: list[str]) -> dict[str, list[OcrPage]]:
        """The OCR'd pages of these documents, to carry them into the next version."""
        wanted, found = set(doc_ids), {}
        for doc_id, *fields in self._ocr_rows("ORDER BY doc_id, page", ()):
            if doc_id in wanted:
                found.setdefault(doc_id, []).append(OcrPage.from_json(*fields))
        return found

    def _ocr_rows(self, clause: str, params: tuple) -> list[tuple]:
        """Rows of the ocr_pages table, read from disk when asked (a long scan's words are not held in
        memory); none in a version written before OCR boxes were kept."""
        try:
            with sqlite3.connect((self.path / "meta.sqlite").resolve().as_uri() + "?mode=ro", uri=True) as db:
                return db.execute(f"SELECT doc_id, page, width, height, words FROM ocr_pages {clause}", params).fetchall()
        except sqlite3.OperationalError:  # no such table
            return []


def current_version(index_dir: Path) -> str | None:
    try:
        name = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def open_index(index_dir: Path) -> Index:
    """Open the live version. Raises NoIndexError if nothing was ingested yet."""
    name = current_version(index_dir)
    if name is None:
        raise NoIndexError(f"no index in {index_dir}; run `survey-rag ingest` first")
    path = index_dir / name
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(path / "vectors.faiss"))
        slot_map = None
        if (path / "slots.npy").exists():
            slot_map = SlotMap.of(np.load(path / "slots.npy"), vectors.ntotal, vectors.hnsw.efSearch)
        # Memory-mapped: a question reads the few sentences of its candidate passages, not all of them.
        sentence_vectors = np.load(path / "sentences.npy", mmap_mode="r")
        hubness_file = path / "hubness.npy"
        if hubness_file.exists():
            hubness = np.load(hubness_file)
        else:
            log.info("index version %s was written before sentence hubness was kept; computing it", name)
            hubness = sentence_hubness(sentence_vectors)
        with sqlite3.connect((path / "meta.sqlite").resolve().as_uri() + "?mode=ro", uri=True) as db:
            # Versions written before slides had no location_kind column: their locations are all pages. Those
            # written before descriptions were kept describe nothing.
            columns = {col[1] for col in db.execute("PRAGMA table_info(documents)")}
            kind = "location_kind" if "location_kind" in columns else "''"
            description = "description" if "description" in columns else "''"
            documents = {
                row[0]: IndexedDocument(row[0], row[1], row[2], tuple(json.loads(row[3])), *row[4:])
                for row in db.execute(
                    "SELECT doc_id, source, title, languages, seed, content_hash, chunk_count, ingested_at, "
                    f"{kind}, {description} FROM documents"
                )
            }
            chunks = tuple(
                Chunk(
                    chunk_id=r[0], doc_id=r[1], text=r[2], start=r[3], end=r[4],
                    language=r[5], heading=r[6], page=r[7], ordinal=r[8],
                    sentences=tuple(tuple(span) for span in json.loads(r[9])),
                )
                for r in db.execute(
                    "SELECT chunk_id, doc_id, text, start, end, language, heading, page, ordinal, sentences "
                    "FROM chunks ORDER BY row"
                )
            )
    except (OSError, ValueError, sqlite3.Error, RuntimeError) as exc:
        raise IndexStoreError(f"index version {path} is unreadable ({exc}); run `survey-rag ingest` to rebuild") from exc
    index = Index(
        name, path, documents, chunks, vectors, manifest.get("embedding_model", ""),
        sentence_vectors, sentence_starts(chunks), hubness, slot_map, manifest.get("chunking", ""),
    )
    problems = integrity_problems(index, manifest)
    if problems:
        raise IndexStoreError(f"index version {path} is inconsistent: {problems[0]}; run `survey-rag ingest --rebuild`")
    return index


def integrity_problems(index: Index, manifest: dict | None = None) -> list[str]:
    """Every disagreement between vectors, chunks, documents and the manifest (empty = consistent)."""
    problems = []
    live = index.vectors.ntotal - (index.slot_map.dead if index.slot_map else 0)
    if live != len(index.chunks):
        problems.append(f"{live} vectors but {len(index.chunks)} chunks")
    orphans = {c.doc_id for c in index.chunks} - set(index.documents)
    if orphans:
        problems.append(f"{len(orphans)} chunk owners missing from documents")
    counts: dict[str, int] = {}
    for c in index.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    for doc in index.documents.values():
        if counts.get(doc.doc_id, 0) != doc.chunk_count:
            problems.append(f"document {doc.source} should have {doc.chunk_count} chunks, has {counts.get(doc.doc_id, 0)}")
    if len(index.sentence_vectors) != index.sentence_starts[-1]:
        problems.append(f"{len(index.sentence_vectors)} sentence vectors but {index.sentence_starts[-1]} sentences")
    if len(index.sentence_hubness) != len(index.sentence_vectors):
        problems.append(f"{len(index.sentence_hubness)} hubness values but {len(index.sentence_vectors)} sentence vectors")
    if manifest is not None:
        if manifest.get("chunks") != len(index.chunks) or manifest.get("documents") != len(index.documents):
            problems.append("manifest counts differ from the stored data")
    return problems


def sentence_starts(chunks: tuple[Chunk, ...] | list[Chunk]) -> tuple[int, ...]:
    """Cumulative sentence counts: chunk row r owns sentence rows [starts[r], starts[r + 1])."""
    starts = [0]
    for c in chunks:
        starts.append(starts[-1] + (len(c.sentences) or 1))  # len(c.sentence_texts()), without the texts
    return tuple(starts)


def sentence_hubness(vectors: np.ndarray) -> np.ndarray:
    """Each sentence's hubness: its mean cosine similarity to its ``HUB_NEIGHBOURS`` nearest sentences (twins,
    above ``_TWIN_SIMILARITY``, left out), less the median of that over all sentences; float32, one per row of
    ``vectors`` (unit vectors). Zeros when there are too few sentences to have neighbours.

    >>> rng = np.random.default_rng(0)
    >>> spread = rng.normal(size=(40, 8)).astype(np.float32)
    >>> vectors = np.vstack([spread, spread.mean(axis=0, keepdims=True)])
    >>> vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    >>> hubness = sentence_hubness(vectors)
    >>> int(np.argmax(hubness)) == 40  # the sentence at the centre of the others
    True
    """
    total = len(vectors)
    if total <= HUB_NEIGHBOURS:
        return np.zeros(total, dtype=np.float32)
    sample = np.arange(total)
    if total > _HUB_REFERENCE:
        sample = np.sort(np.random.default_rng(0).choice(total, _HUB_REFERENCE, replace=False))
    reference = np.asarray(vectors[sample], dtype=np.float32)
    hubness = np.empty(total, dtype=np.float32)
    for start in range(0, total, _HUB_BLOCK):
        block = np.asarray(vectors[start:start + _HUB_BLOCK], dtype=np.float32)
        sims = block @ reference.T
        sims[sims > _TWIN_SIMILARITY] = -1.0  # the sentence itself, its translations and repeats
        nearest = np.partition(sims, sims.shape[1] - HUB_NEIGHBOURS, axis=1)[:, -HUB_NEIGHBOURS:]
        hubness[start:start + len(block)] = nearest.mean(axis=1)
    return hubness - np.median(hubness)


def build_vector_index(vectors: np.ndarray, dim: int) -> faiss.Index:
    """Exact inner-product search; HNSW once the collection is large enough to need it."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 96
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


def write_version(
    index_dir: Path,
    documents: list[IndexedDocument],
    chunks: list[Chunk],
    vectors: np.ndarray,
    embedding_model: str,
    sentence_vectors: np.ndarray,
    ocr_pages: dict[str, list[OcrPage]] | None = None,
) -> str:
    """Write a complete new version and make it live atomically; returns its name.

    ``ocr_pages`` maps a document id to the word boxes of its OCR'd pages."""
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
    dim = vectors.shape[1] if len(vectors) else 0
    return _write(index_dir, documents, chunks, build_vector_index(vectors, dim or 1), None, embedding_model,
                  sentence_vectors, ocr_pages or {})


def write_next_version(
    index_dir: Path,
    previous: Index,
    kept_rows: list[int],
    documents: list[IndexedDocument],
    new_chunks: list[Chunk],
    new_vectors: np.ndarray,
    new_sentence_vectors: np.ndarray,
    ocr_pages: dict[str, list[OcrPage]] | None = None,
) -> str:
    """Write the version that keeps ``kept_rows`` of ``previous`` (their vectors copied, not re-embedded)
    and adds ``new_chunks`` after them; returns its name. An HNSW index is extended rather than rebuilt
    while at most ``MAX_DEAD_SHARE`` of its vectors belong to removed passages."""
    if len(new_chunks) != len(new_vectors):
        raise ValueError(f"{len(new_chunks)} chunks but {len(new_vectors)} vectors")
    chunks = [previous.chunks[r] for r in kept_rows] + list(new_chunks)
    sentence_vectors = np.concatenate([previous.sentence_vectors_of_rows(kept_rows),
                                       np.asarray(new_sentence_vectors, dtype=SENTENCE_DTYPE)])
    base = previous.vectors
    slots = previous.slots_of(kept_rows)
    dead = base.ntotal - len(slots)
    if isinstance(base, faiss.IndexHNSWFlat) and dead <= MAX_DEAD_SHARE * (len(slots) + len(new_chunks)):
        vector_index = faiss.clone_index(base)  # readers of the previous version may still be searching it
        if len(new_vectors):
            vector_index.add(np.ascontiguousarray(new_vectors, dtype=np.float32))
        slots = np.concatenate([slots, np.arange(base.ntotal, vector_index.ntotal)])
        identity = len(slots) == vector_index.ntotal and bool(np.all(slots == np.arange(len(slots))))
        return _write(index_dir, documents, chunks, vector_index, None if identity else slots,
                      previous.embedding_model, sentence_vectors, ocr_pages or {})
    vectors = np.concatenate([previous.vectors_of(kept_rows), np.asarray(new_vectors, dtype=np.float32)])
    return write_version(index_dir, documents, chunks, vectors, previous.embedding_model, sentence_vectors,
                         ocr_pages)


def _write(index_dir: Path, documents: list[IndexedDocument], chunks: list[Chunk], vector_index: faiss.Index,
           slots: np.ndarray | None, embedding_model: str, sentence_vectors: np.ndarray,
           ocr_pages: dict[str, list[OcrPage]]) -> str:
    if sentence_starts(chunks)[-1] != len(sentence_vectors):
        raise ValueError(f"{sentence_starts(chunks)[-1]} sentences but {len(sentence_vectors)} sentence vectors")
    name = f"v{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
    staging = index_dir / f"tmp-{name}"
    pointer_tmp = index_dir / f"{POINTER}.tmp"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        dim = vector_index.d if chunks else 0
        faiss.write_index(vector_index, str(staging / "vectors.faiss"))
        if slots is not None:
            np.save(staging / "slots.npy", np.asarray(slots, dtype=np.int64))
        sentence_vectors = np.ascontiguousarray(sentence_vectors, dtype=SENTENCE_DTYPE)
        np.save(staging / "sentences.npy", sentence_vectors)
        np.save(staging / "hubness.npy", sentence_hubness(sentence_vectors))
        _write_meta(staging / "meta.sqlite", documents, chunks, ocr_pages)
        manifest = {
            "version": name,
            "created": time.time(),
            "embedding_model": embedding_model,
            "chunking": CHUNKING,  # an ingest re-chunks every document of an index written otherwise
            "dim": dim,
            "documents": len(documents),
            "chunks": len(chunks),
            "sentence_dtype": np.dtype(SENTENCE_DTYPE).name,
            "dead_vectors": vector_index.ntotal - len(chunks),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for f in staging.iterdir():
            fsync_file(f)
        fsync_dir(staging)
        os.rename(staging, index_dir / name)
        fsync_dir(index_dir)
        with open(pointer_tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except (OSError, sqlite3.Error, RuntimeError) as exc:  # a full disk, an I/O error (faiss raises RuntimeError)
        # Nothing names the new version yet: drop it whole, so a full disk is not left fuller.
        for leftover in (staging, index_dir / name):
            shutil.rmtree(leftover, ignore_errors=True)
        pointer_tmp.unlink(missing_ok=True)
        raise IndexStoreError(
            f"cannot write a new index version in {index_dir} ({_io_reason(exc)}); the previous version "
            "is still live and unchanged. Free some disk space and ingest again"
        ) from exc
    os.replace(pointer_tmp, index_dir / POINTER)
    fsync_dir(index_dir)
    log.info("index version %s is live (%d documents, %d chunks)", name, len(documents), len(chunks))
    return name


def _io_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    if "(" in text and text.endswith(")"):  # faiss: "... write error in <file>: 40 != 160 (No space left on device)"
        return text[text.rindex("(") + 1 : -1]
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _write_meta(path: Path, documents: list[IndexedDocument], chunks: list[Chunk],
                ocr_pages: dict[str, list[OcrPage]]) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(
                "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT UNIQUE, title TEXT, languages TEXT, "
                "seed TEXT, content_hash TEXT, chunk_count INTEGER, ingested_at REAL, location_kind TEXT, "
                "description TEXT)"
            )
            db.execute(
                "CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT, doc_id TEXT REFERENCES documents, "
                "text TEXT, start INTEGER, end INTEGER, language TEXT, heading TEXT, page INTEGER, ordinal INTEGER, "
                "sentences TEXT)"
            )
            db.executemany(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (d.doc_id, d.source, d.title, json.dumps(list(d.languages)), d.seed, d.content_hash, d.chunk_count,
                     d.ingested_at, d.location_kind, d.description)
                    for d in documents
                ],
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (row, c.chunk_id, c.doc_id, c.text, c.start, c.end, c.language, c.heading, c.page, c.ordinal,
                     json.dumps([list(span) for span in c.sentences]))
                    for row, c in enumerate(chunks)
                ],
            )
            db.execute("CREATE TABLE ocr_pages (doc_id TEXT REFERENCES documents, page INTEGER, width INTEGER, "
                       "height INTEGER, words TEXT, PRIMARY KEY (doc_id, page))")
            db.executemany(
                "INSERT INTO ocr_pages VALUES (?, ?, ?, ?, ?)",
                [(doc_id, p.page, p.width, p.height, p.to_json()) for doc_id, pages in ocr_pages.items() for p in pages],
            )
    finally:
        db.close()


def collect_garbage(index_dir: Path) -> None:
    """Delete unfinished staging folders, versions that never went live and all but the live version and
    the one before it. Call with the lock held."""
    live = current_version(index_dir)

    def completed(p: Path) -> tuple[int, str]:  # by completion time: names only order versions to the second
        return p.stat().st_mtime_ns, p.name

    versions = sorted((p for p in index_dir.glob("v*") if p.is_dir()), key=completed)
    if live and (index_dir / live).is_dir():
        # A version completed after the live one never went live: the ingest that wrote it died
        # between its rename and the switch of CURRENT (versions go live at once, under the lock).
        # No reader can be using it, and keeping it would push out the version before the live one.
        live_done = completed(index_dir / live)
        versions = [p for p in versions if completed(p) <= live_done]
    keep = {live} | {p.name for p in versions[-_KEEP_VERSIONS:]}
    for p in list(index_dir.iterdir()):
        if not p.is_dir():
            continue
        if p.name.startswith("v") and p.name not in keep:
            # Renamed before deleting: a deletion cut short (a crash) leaves a tmp- folder that the next
            # call removes, never a half-deleted v* folder (its fresh mtime would make it look newest).
            doomed = index_dir / f"tmp-old-{p.name}"
            try:
                os.rename(p, doomed)
            except OSError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)
        elif p.name.startswith("tmp-"):
            shutil.rmtree(p, ignore_errors=True)


class IngestLock:
    """Exclusive, non-blocking lock on the index directory; the kernel drops it if the holder dies.

    Example:
        >>> with IngestLock(index_dir):  # doctest: +SKIP
        ...     write_version(...)
    """

    def __init__(self, index_dir: Path):
        self.path = index_dir / LOCK
        self._fh = None

    def __enter__(self) -> "IngestLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise IngestLockedError(
                    f"another ingest is running on {self.path.parent} (pid {holder}); wait for it to finish"
                ) from exc
            raise
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
