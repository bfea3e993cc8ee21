"""Vectors cached by content, and the base every embedder shares.

``EmbeddingCache`` is a SQLite store of vectors keyed by (model id, content hash), so unchanged text
is never embedded twice; ``TextEmbedder`` is what ingestion, retrieval and the bench use of an
embedding model (the local ``ingest.embed.Embedder`` or the server's ``ingest.embed_remote.RemoteEmbedder``),
with the cached chunk encoding both share.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ingest.types import Chunk, text_hash

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]  # (done, total)


class EmbeddingCache:
    """SQLite store of vectors keyed by model id and content hash.

    A chunk's entry holds its passage vector followed by its sentence vectors.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS chunk_vectors (model TEXT, hash TEXT, dim INTEGER, vec BLOB, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                batch = list(hashes[start : start + 500])
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT hash, dim, vec FROM chunk_vectors WHERE model = ? AND hash IN ({marks})", [model, *batch]
                )
                for h, dim, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors, best effort: a cache that cannot be written (a full disk, a read-only or locked
        file) only means these vectors are computed again next time, never a failed ingest."""
        try:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO chunk_vectors VALUES (?, ?, ?, ?)",
                    [(model, h, int(v.shape[-1]), v.astype(np.float32).tobytes()) for h, v in items.items()],
                )
        except sqlite3.Error as exc:
            log.warning("embedding cache not updated (%s); these vectors will be computed again next time", exc)

    def close(self) -> None:
        self._db.close()


class TextEmbedder(ABC):
    """An embedding model: subclasses set ``model_id`` (the identity keying the cache and the index) and
    ``dim``, and encode; the cached chunk encoding is shared."""

    model_id: str
    dim: int

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    @abstractmethod
    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    @abstractmethod
    def encode_passages_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], titles: Sequence[str] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def encode_chunks_cached(
        self, chunks: Sequence[Chunk], cache: EmbeddingCache, progress: ProgressFn | None = None,
        titles: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Passage vectors and all sentence vectors (chunk by chunk) for ``chunks``.

        Only chunks whose text and sentence spans were never embedded are computed; the
        cache is filled block by block so an interrupted ingest keeps what it finished.
        Returns (passage vectors, sentence vectors, number of chunks computed).
        """
        titles = list(titles or [""] * len(chunks))
        keys = [_chunk_key(c, t) for c, t in zip(chunks, titles)]
        cached = cache.get_many(self.model_id, sorted(set(keys)))
        missing = sorted({k: (c, t) for k, c, t in zip(keys, chunks, titles) if k not in cached}.items())
        block = 32
        if progress and missing:  # the stage starts now, not when its first block is done
            progress(0, len(missing))
        for start in range(0, len(missing), block):
            part = missing[start : start + block]
            passages, sentences = self.encode_passages_with_sentences(
                [c.text for _, (c, _) in part], [c.sentences or ((0, len(c.text)),) for _, (c, _) in part],
                [t for _, (_, t) in part],
            )
            fresh = {k: np.vstack([p[None, :], sv]) for (k, _), p, sv in zip(part, passages, sentences)}
            cache.put_many(self.model_id, fresh)
            cached.update(fresh)
            if progress:
                progress(start + len(part), len(missing))
        stacked = [cached[k].reshape(-1, self.dim) for k in keys]
        passage_vectors = np.stack([v[0] for v in stacked]) if stacked else np.zeros((0, self.dim), np.float32)
        sentence_vectors = np.vstack([v[1:] for v in stacked]) if stacked else np.zeros((0, self.dim), np.float32)
        return passage_vectors, sentence_vectors, len(missing)


def _chunk_key(chunk: Chunk, title: str) -> str:
    spans = ";".join(f"{a}-{b}" for a, b in chunk.sentences)
    return text_hash(f"{title}\x00{chunk.text}\x00{spans}")


def document_prompt(template: str, title: str) -> str:
    if title and "title: none" in template:
        return template.replace("title: none", "title: " + " ".join(title.split())[:120])
    return template
