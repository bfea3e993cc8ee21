"""Sentence-transformers embeddings with a content-addressed cache.

The transformer runs either in torch (``SURVEY_RAG_EMBEDDING_BACKEND=torch``, the default and fp32
path) or as an ONNX Runtime session exported locally from the same model folder (``onnx``: fp32,
``onnx-int8``: int8 weights; see ingest/onnx_export.py); tokenisation, pooling and
the model's dense layers are the same sentence-transformers modules either way.
Passages are embedded with the model's document prompt and questions with its
query prompt (EmbeddingGemma defines both); vectors are L2-normalised so inner
product is cosine similarity. Each passage's sentences get vectors from the same
forward pass (see ``encode_passages_with_sentences``). Vectors are cached in
SQLite by (model, content hash), so unchanged text is never embedded twice.

Example:
    >>> emb = Embedder.load(Settings.load())  # doctest: +SKIP
    >>> emb.encode_queries(["Quand faut-il distiller un modèle ?"]).shape  # doctest: +SKIP
    (1, 768)
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.models import ModelError, resolve_model
from core.settings import Settings, SettingsError
from ingest.onnx_export import ONNX_BACKENDS, exported_model, load_session
from ingest.types import Chunk, text_hash

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]  # (done, total)
BACKENDS = ("torch", *ONNX_BACKENDS)


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


class OnnxTokens:
    """The transformer module's job (token ids → token embeddings) done by an ONNX Runtime session."""

    def __init__(self, session):
        self.session = session

    def __call__(self, features: dict):
        import torch

        feeds = {"input_ids": features["input_ids"].numpy(), "attention_mask": features["attention_mask"].numpy()}
        return {"token_embeddings": torch.from_numpy(self.session.run(None, feeds)[0])}


class Embedder:
    """Encode questions and passages with one sentence-transformers model.

    ``tokens`` replaces the model's transformer module (an ``OnnxTokens``); None runs it in torch.
    """

    def __init__(self, model, model_id: str, batch_size: int = 8, tokens=None, backend: str = "torch"):
        self.model = model
        self.model_id = model_id
        self.batch_size = batch_size
        self.backend = backend
        self.dim = int(_dimension(model))
        modules = list(model)
        self._transformer = tokens or modules[0]
        self._late_chunking = len(modules) >= 2 and type(modules[1]).__name__ == "Pooling"
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads at once

    @classmethod
    def load(cls, settings: Settings) -> "Embedder":
        """Load the configured model (a registered name or a local sentence-transformers folder)."""
        backend = settings.embedding_backend
        if backend not in BACKENDS:
            raise SettingsError(
                f"SURVEY_RAG_EMBEDDING_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, settings.n_threads))
        path = resolve_model(settings.embedding_model, settings)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelError(
                f"{path}: cannot load as a sentence-transformers model ({type(exc).__name__}: {exc}); "
                "point SURVEY_RAG_EMBEDDING_MODEL at a sentence-transformers folder"
            ) from exc
        model.max_seq_length = min(model.max_seq_length or 512, 512)
        model_id = embedding_model_id(settings)
        tokens = None
        if backend in ONNX_BACKENDS:
            modules = list(model)
            if len(modules) < 2 or type(modules[1]).__name__ != "Pooling":
                raise ModelError(
                    f"{path}: the {backend} backend needs a Transformer → Pooling model; "
                    "set SURVEY_RAG_EMBEDDING_BACKEND=torch"
                )
            source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
            onnx_file = exported_model(path, source_id, backend, settings)
            tokens = OnnxTokens(load_session(onnx_file, settings.n_threads))
            modules[0].to("meta")  # the session holds the weights now: free torch's copy
        log.info("loaded embedding model %s (%d dims, %s)", path, _dimension(model), backend)
        return cls(model, model_id=model_id, batch_size=settings.embed_batch_size, tokens=tokens, backend=backend)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not self._late_chunking:
            with self._lock:
                vecs = self.model.encode_query(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
            return np.asarray(vecs, dtype=np.float32)
        prompt = (getattr(self.model, "prompts", None) or {}).get("query", "")
        return self._encode([prompt] * len(texts), texts, [()] * len(texts))[0]

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_passages_with_sentences(texts, [()] * len(texts))[0]

    def encode_passages_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], titles: Sequence[str] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, and from the same forward pass one vector per sentence span.

        A sentence vector pools the sentence's own token embeddings, computed in the context of
        its whole passage ("late chunking"), and sends them through the model's remaining layers,
        so sentence-level evidence costs no extra transformer pass. Passage vectors equal
        ``encode_document``'s. Models whose module stack is not Transformer → Pooling → ...
        fall back to embedding each passage and sentence on its own. A document prompt of the form
        "title: none | text: " (EmbeddingGemma's) gets the passage's document title.
        """
        if not self._late_chunking:
            passages = self._encode_documents_whole(texts)
            return passages, [self._encode_documents_whole([t[a:b] for a, b in sp]) for t, sp in zip(texts, spans)]
        template = (getattr(self.model, "prompts", None) or {}).get("document", "")
        titles = titles or [""] * len(texts)
        return self._encode([_document_prompt(template, t) for t in titles], texts, spans)

    def _encode(
        self, prompts: Sequence[str], texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """``prompt + text`` vectors and the vectors of each text's sentence spans (late chunking)."""
        import torch

        pooling, rest = list(self.model)[1], list(self.model)[2:]
        tokenizer = self.model.tokenizer
        passages = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        # Sorting by length keeps padding, and so time, low.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = tokenizer(
                [prompts[i] + texts[i] for i in idx], padding=True, truncation=True,
                max_length=self.model.max_seq_length, return_offsets_mapping=True, return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping")
            with self._lock, torch.inference_mode():
                tokens = self._transformer(dict(enc))["token_embeddings"]
                mask = enc["attention_mask"]
                rows, masks = [], []
                for b, i in enumerate(idx):
                    real = (mask[b] > 0) & (offsets[b, :, 1] > offsets[b, :, 0])
                    for a, e in spans[i]:
                        lo, hi = len(prompts[i]) + a, len(prompts[i]) + e
                        inside = real & (offsets[b, :, 0] < hi) & (offsets[b, :, 1] > lo)
                        rows.append(b)
                        masks.append(inside if inside.any() else mask[b] > 0)  # truncated away: use the passage
                features = {
                    "token_embeddings": torch.cat([tokens, tokens[rows]]) if rows else tokens,
                    "attention_mask": torch.cat([mask, torch.stack(masks).to(mask.dtype)]) if rows else mask,
                }
                features = pooling(features)
                for module in rest:
                    features = module(features)
                vecs = torch.nn.functional.normalize(features["sentence_embedding"].float(), dim=-1).numpy()
            passages[idx] = vecs[: len(idx)]
            cursor = len(idx)
            for i in idx:
                n = len(spans[i])
                sentences[i] = vecs[cursor : cursor + n].copy()
                cursor += n
        return passages, sentences

    def _encode_documents_whole(self, texts: Sequence[str]) -> np.ndarray:
        """sentence-transformers' own ``encode_document``, for models without a Pooling module."""
        with self._lock:
            vecs = self.model.encode_document(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

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


def _document_prompt(template: str, title: str) -> str:
    if title and "title: none" in template:
        return template.replace("title: none", "title: " + " ".join(title.split())[:120])
    return template


def _dimension(model) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


def embedding_model_id(settings: Settings) -> str:
    """Identity of the configured embedding model, without loading it: folder name and file sizes.

    Vectors from different models never mix: the cache and the index are keyed by this id, which
    names the backend too when it is not torch (an int8 model's vectors differ slightly).
    """
    path = resolve_model(settings.embedding_model, settings)
    h = hashlib.sha1()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(path) if p != path else p.name}:{st.st_size}".encode())
    backend = "" if settings.embedding_backend == "torch" else f"+{settings.embedding_backend}"
    return f"{path.name}:{h.hexdigest()[:12]}{backend}"
