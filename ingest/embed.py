"""Sentence-transformers embeddings with a content-addressed cache.

The transformer runs either in torch (``SURVEY_RAG_EMBEDDING_BACKEND=torch``, the fp32 reference) or
as an ONNX Runtime session exported locally from the same model folder (``onnx``: fp32, ``onnx-int8``:
int8 weights; see ingest/onnx_export.py). ``auto``, the default, is ``onnx-int8`` when the model's
export passes its probe check and torch otherwise (with a warning; the failure is remembered, not
retried). Tokenisation, pooling and the model's dense layers are the same sentence-transformers
modules either way.
Passages are embedded with the model's document prompt and questions with its
query prompt (EmbeddingGemma defines both); vectors are L2-normalised so inner
product is cosine similarity. Each passage's sentences get vectors from the same
forward pass (see ``encode_passages_with_sentences``). Vectors are cached in
SQLite by (model, content hash), so unchanged text is never embedded twice
(ingest/embed_cache.py). With ``SURVEY_RAG_EMBEDDING_URL`` set, ``Embedder.load`` returns an
embeddings server's client instead (ingest/embed_remote.py).

Example:
    >>> emb = Embedder.load(Settings.load())  # doctest: +SKIP
    >>> emb.encode_queries(["Quand faut-il distiller un modèle ?"]).shape  # doctest: +SKIP
    (1, 768)
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from core.models import ModelError, resolve_model
from core.settings import Settings, SettingsError
from ingest.embed_cache import TextEmbedder, document_prompt
from ingest.embed_remote import RemoteEmbedder, remote_model_id
from ingest.onnx_export import (ONNX_BACKENDS, RECIPES, export_folder, exported_model, load_session, remember_failure,
                                remembered_failure)

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", *ONNX_BACKENDS)


class OnnxTokens:
    """The transformer module's job (token ids → token embeddings) done by an ONNX Runtime session."""

    def __init__(self, session):
        self.session = session

    def __call__(self, features: dict):
        import torch

        feeds = {"input_ids": features["input_ids"].numpy(), "attention_mask": features["attention_mask"].numpy()}
        return {"token_embeddings": torch.from_numpy(self.session.run(None, feeds)[0])}


class Embedder(TextEmbedder):
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
    def load(cls, settings: Settings) -> TextEmbedder:
        """Load the configured model (a registered name or a local sentence-transformers folder), or
        connect to the embeddings server ``SURVEY_RAG_EMBEDDING_URL`` names."""
        if settings.embedding_url:
            return RemoteEmbedder.from_settings(settings)
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
        tokens = None
        if backend == "auto":
            try:
                tokens = _exported_tokens(model, path, "onnx-int8", settings)
                backend = "onnx-int8"
            except Exception as exc:  # auto must load whatever the export does: torch is always there
                log.warning("SURVEY_RAG_EMBEDDING_BACKEND=auto: embedding with torch fp32, not onnx-int8: %s", exc)
                backend = "torch"
        elif backend in ONNX_BACKENDS:
            tokens = _exported_tokens(model, path, backend, settings)
        log.info("loaded embedding model %s (%d dims, %s)", path, _dimension(model), backend)
        return cls(model, model_id=embedding_model_id(settings.replace(embedding_backend=backend)),
                   batch_size=settings.embed_batch_size, tokens=tokens, backend=backend)

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
        return self._encode([document_prompt(template, t) for t in titles], texts, spans)

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


def _exported_tokens(model, path: Path, backend: str, settings: Settings) -> OnnxTokens:
    """``model``'s transformer as an ONNX Runtime session (exported on first use); its torch weights are freed."""
    modules = list(model)
    source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
    if len(modules) < 2 or type(modules[1]).__name__ != "Pooling":
        reason = f"the {backend} backend needs a Transformer → Pooling model"
        # Remembered like a failed export: embedding_model_id then knows what auto loads without loading it.
        remember_failure(export_folder(source_id, backend, settings), source_id, backend, reason)
        raise ModelError(f"{path}: {reason}; set SURVEY_RAG_EMBEDDING_BACKEND=torch")
    tokens = OnnxTokens(load_session(exported_model(path, source_id, backend, settings), settings.n_threads))
    modules[0].to("meta")  # the session holds the weights now: free torch's copy
    return tokens


def _auto_backend(settings: Settings, source_id: str) -> str:
    """The backend ``auto`` loads, known without loading or exporting: onnx-int8 unless the model's int8
    export failed before (remembered in its export folder), then torch."""
    failed = remembered_failure(export_folder(source_id, "onnx-int8", settings), source_id, RECIPES["onnx-int8"])
    return "torch" if failed else "onnx-int8"


def _dimension(model) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


def embedding_model_id(settings: Settings) -> str:
    """Identity of the configured embedding model, without loading it: folder name and file sizes.

    Vectors from different models never mix: the cache and the index are keyed by this id, which
    names the backend too when it is not torch (an int8 model's vectors differ slightly; for ``auto``, the
    backend it loads, so ``auto`` and ``onnx-int8`` share vectors), or the server's model.
    """
    if settings.embedding_url:
        return remote_model_id(settings)
    path = resolve_model(settings.embedding_model, settings)
    h = hashlib.sha1()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(path) if p != path else p.name}:{st.st_size}".encode())
    source = f"{path.name}:{h.hexdigest()[:12]}"
    backend = _auto_backend(settings, source) if settings.embedding_backend == "auto" else settings.embedding_backend
    return source if backend == "torch" else f"{source}+{backend}"
