"""Sentence-transformers embeddings with a content-addressed cache.

Passages are embedded with the model's document prompt and questions with its
query prompt (EmbeddingGemma defines both); vectors are L2-normalised so inner
product is cosine similarity. Passage vectors are cached in SQLite by
(model, text hash), so unchanged text is never embedded twice.

Example:
    >>> emb = Embedder.load(Settings.load())  # doctest: +SKIP
    >>> emb.encode_queries(["Quand faut-il distiller un modèle ?"]).shape  # doctest: +SKIP
    (1, 768)
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ingest.types import text_hash
from survey_rag.models import resolve_model
from survey_rag.settings import Settings

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]  # (done, total)


class EmbeddingCache:
    """SQLite store of passage vectors keyed by model id and text hash."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, dim INTEGER, vec BLOB, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                batch = list(hashes[start : start + 500])
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})", [model, *batch]
                )
                for h, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                [(model, h, int(v.shape[0]), v.astype(np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


class Embedder:
    """Encode questions and passages with one sentence-transformers model."""

    def __init__(self, model, model_id: str, batch_size: int = 8):
        self.model = model
        self.model_id = model_id
        self.batch_size = batch_size
        self.dim = int(_dimension(model))
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads at once

    @classmethod
    def load(cls, settings: Settings) -> "Embedder":
        """Load the configured model (a registered name or a local sentence-transformers folder)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, settings.n_threads))
        path = resolve_model(settings.embedding_model, settings)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise RuntimeError(
                f"{path}: cannot load as a sentence-transformers model ({type(exc).__name__}: {exc}); "
                "point SURVEY_RAG_EMBEDDING_MODEL at a sentence-transformers folder"
            ) from exc
        model.max_seq_length = min(model.max_seq_length or 512, 512)
        log.info("loaded embedding model %s (%d dims)", path, _dimension(model))
        return cls(model, model_id=embedding_model_id(settings), batch_size=settings.embed_batch_size)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vecs = self.model.encode_query(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorting by length keeps padding, and so time, low.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            with self._lock:
                vecs = self.model.encode_document(
                    [texts[i] for i in idx], batch_size=self.batch_size, normalize_embeddings=True
                )
            out[idx] = np.asarray(vecs, dtype=np.float32)
        return out

    def encode_documents_cached(
        self, texts: Sequence[str], cache: EmbeddingCache, progress: ProgressFn | None = None
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``, computing only those not in ``cache``; returns (vectors, computed count)."""
        hashes = [text_hash(t) for t in texts]
        cached = cache.get_many(self.model_id, sorted(set(hashes)))
        missing = sorted({h: t for h, t in zip(hashes, texts) if h not in cached}.items())
        # Stored block by block, so an interrupted ingest keeps what it already computed.
        block = 64
        for start in range(0, len(missing), block):
            part = missing[start : start + block]
            vecs = self.encode_documents([t for _, t in part])
            fresh = {h: v for (h, _), v in zip(part, vecs)}
            cache.put_many(self.model_id, fresh)
            cached.update(fresh)
            if progress:
                progress(start + len(part), len(missing))
        out = np.stack([cached[h] for h in hashes]) if hashes else np.zeros((0, self.dim), np.float32)
        return out, len(missing)


def _dimension(model) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


def embedding_model_id(settings: Settings) -> str:
    """Identity of the configured embedding model, without loading it: folder name and file sizes.

    Vectors from different models never mix: the cache and the index are keyed by this id.
    """
    import hashlib

    path = resolve_model(settings.embedding_model, settings)
    h = hashlib.sha1()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(path) if p != path else p.name}:{st.st_size}".encode())
    return f"{path.name}:{h.hexdigest()[:12]}"
