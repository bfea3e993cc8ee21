"""Embeddings from an OpenAI-compatible ``POST <url>/embeddings`` server (infinity-emb,
text-embeddings-inference, vLLM, llama.cpp), chosen by ``SURVEY_RAG_EMBEDDING_URL``.

``SURVEY_RAG_EMBEDDING_MODEL`` is then the model name sent in requests, and with the prompts it is the
model's identity (``remote:<name>:<prompt digest>``) that keys the embedding cache and the index: the
local model's vectors and a server's never mix, and a server serving another model needs another name.

Such a server returns one pooled vector per input, so there is no late chunking: a passage and each
of its sentences are separate inputs, all with the document prompt (EmbeddingGemma's
"title: <document title> | text: "), questions with the query prompt. Identical inputs of one call
are sent once. A request carries at most ``embedding_request_batch`` inputs; connection errors,
HTTP 429 and 5xx answers are retried with doubling pauses; every failure is one line naming the URL
and the cause. Vectors are L2-normalised here whatever the server does, so inner product is cosine.

Example:
    >>> normalize_embeddings_url("http://gpu-box:7997")
    'http://gpu-box:7997/v1/embeddings'
    >>> normalize_embeddings_url("http://127.0.0.1:8080/v1/")
    'http://127.0.0.1:8080/v1/embeddings'
    >>> normalize_embeddings_url("http://127.0.0.1:7997/embeddings")
    'http://127.0.0.1:7997/embeddings'
    >>> emb = RemoteEmbedder.from_settings(Settings.load())  # doctest: +SKIP
    >>> emb.encode_queries(["Quand faut-il distiller un modèle ?"]).shape  # doctest: +SKIP
    (1, 768)
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, Sequence

import httpx
import numpy as np

from core.errors import UserFacingError
from core.settings import Settings
from core.text import one_line
from core.urls import server_url
from ingest.embed_cache import TextEmbedder, document_prompt

log = logging.getLogger(__name__)

# No usable connection, or the server asked to come back later: safe to send the same request again.
_RETRYABLE_ERRORS = (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_STATUS = 429
_PROBE = "dimension probe"


class EmbeddingServerError(UserFacingError, RuntimeError):
    """The embeddings server could not be reached or sent something that is not one vector per input."""


def normalize_embeddings_url(url: str) -> str:
    """The endpoint: a URL ending in ``/embeddings`` as it is (infinity serves ``/embeddings`` at its root),
    any other gets ``/embeddings`` appended, and a bare ``http://host:port`` gets ``/v1/embeddings``."""
    parts = server_url(url, "SURVEY_RAG_EMBEDDING_URL", "http://127.0.0.1:7997/v1", EmbeddingServerError)
    path = parts.path
    if not path.endswith("/embeddings"):
        path = (path or "/v1") + "/embeddings"
    return parts._replace(path=path).geturl()


def remote_model_id(settings: Settings) -> str:
    """The served model's identity: its name and a digest of the prompts its inputs get."""
    prompts = f"{settings.embedding_document_prompt}\x00{settings.embedding_query_prompt}"
    return f"remote:{settings.embedding_model}:{hashlib.sha1(prompts.encode()).hexdigest()[:8]}"


class RemoteEmbedder(TextEmbedder):
    """Encode questions and passages through an embeddings server. Safe to share between threads.

    Construction sends one short input, to fail early on a server that cannot be used and to learn
    the vectors' dimension; every later reply must have it.

    Args:
        url: the API root or its ``/embeddings`` endpoint.
        model: the model name sent in requests.
        model_id: the identity keying the cache and the index (``remote_model_id``).
        retries: extra attempts after a connection error, HTTP 429 or 5xx.
        backoff_s: the first pause between attempts; it doubles after each one.
    """

    def __init__(
        self, url: str, model: str, model_id: str, query_prompt: str, document_template: str,
        api_key: str = "", timeout_s: float = 60.0, batch_size: int = 64, retries: int = 3, backoff_s: float = 0.5,
    ) -> None:
        self.url = normalize_embeddings_url(url)
        self.model = model
        self.model_id = model_id
        self.query_prompt = query_prompt
        self.document_template = document_template
        self.batch_size = max(1, int(batch_size))
        self.retries = max(0, int(retries))
        self.backoff_s = max(0.0, float(backoff_s))
        self.timeout_s = float(timeout_s)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0)),
            trust_env=False,  # never route a local model server through a proxy from the environment
        )
        self.dim = 0  # not known before the probe's reply
        try:
            self.dim = int(self._request([_PROBE]).shape[1])
        except EmbeddingServerError:
            self._client.close()
            raise
        log.info("embedding server %s: model %s, %d dims", self.url, model, self.dim)

    @classmethod
    def from_settings(cls, settings: Settings) -> "RemoteEmbedder":
        return cls(
            settings.embedding_url, settings.embedding_model, remote_model_id(settings),
            settings.embedding_query_prompt, settings.embedding_document_prompt, api_key=settings.embedding_api_key,
            timeout_s=settings.embedding_timeout_s, batch_size=settings.embedding_request_batch,
        )

    def close(self) -> None:
        self._client.close()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self.query_prompt + t for t in texts])

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self.document_template + t for t in texts])

    def encode_passages_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], titles: Sequence[str] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, and one vector per sentence span, each sentence embedded on its own with
        its passage's document prompt (the title, when the prompt has a place for it)."""
        prompts = [document_prompt(self.document_template, t) for t in (titles or [""] * len(texts))]
        inputs = [p + t for p, t in zip(prompts, texts)]
        for p, t, sp in zip(prompts, texts, spans):
            inputs.extend(p + t[a:b] for a, b in sp)
        vectors = self._embed(inputs)
        passages, cursor, sentences = vectors[: len(texts)], len(texts), []
        for sp in spans:
            sentences.append(vectors[cursor : cursor + len(sp)])
            cursor += len(sp)
        return passages, sentences

    def _embed(self, inputs: Sequence[str]) -> np.ndarray:
        """One normalised vector per input; each distinct input is sent once, in batches."""
        distinct = list(dict.fromkeys(inputs))
        if not distinct:
            return np.zeros((0, self.dim), np.float32)
        parts = [self._request(distinct[s : s + self.batch_size]) for s in range(0, len(distinct), self.batch_size)]
        vectors = np.vstack(parts)
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[t] for t in inputs]]

    def _request(self, batch: Sequence[str]) -> np.ndarray:
        attempt = 0
        while True:
            try:
                response = self._client.post(self.url, json={"model": self.model, "input": list(batch)})
            except _RETRYABLE_ERRORS as exc:
                problem = f"cannot reach it: {one_line(exc, 200) or type(exc).__name__}"
                hint = "start it or unset SURVEY_RAG_EMBEDDING_URL"
            except httpx.TimeoutException as exc:
                raise EmbeddingServerError(
                    f"the embedding server at {self.url} sent nothing for {self.timeout_s:g} s; it may be overloaded "
                    "(raise SURVEY_RAG_EMBEDDING_TIMEOUT_S or lower SURVEY_RAG_EMBEDDING_REQUEST_BATCH)"
                ) from exc
            except httpx.HTTPError as exc:
                raise EmbeddingServerError(f"the embedding server at {self.url}: {one_line(exc, 200)}") from exc
            else:
                if response.status_code < 400:
                    return self._vectors(response, len(batch))
                problem = f"HTTP {response.status_code}: {_server_message(response)}"
                hint = "see the server's log"
                if response.status_code != _RETRYABLE_STATUS and response.status_code < 500:
                    raise EmbeddingServerError(f"the embedding server at {self.url} answered {problem}")
            if attempt >= self.retries:
                raise EmbeddingServerError(
                    f"the embedding server at {self.url}: {problem} (after {attempt + 1} attempts); {hint}"
                )
            pause = self.backoff_s * 2**attempt
            attempt += 1
            log.warning("embedding server %s: %s; retry %d in %.1f s", self.url, problem, attempt, pause)
            time.sleep(pause)

    def _vectors(self, response: httpx.Response, count: int) -> np.ndarray:
        """The reply's vectors in input order, normalised; any other shape is one clear error."""
        try:
            rows = [item["embedding"] for item in sorted(response.json()["data"], key=lambda item: item["index"])]
            if rows and isinstance(rows[0], list) and rows[0] and isinstance(rows[0][0], list):
                raise EmbeddingServerError(
                    f"the embedding server at {self.url} sent per-token vectors, not one vector per input; serve "
                    "the model with pooling (llama.cpp: --pooling mean, or a GGUF that sets its pooling type)"
                )
            vectors = np.asarray(rows, dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingServerError(
                f"the embedding server at {self.url} sent a reply that is not an embeddings list "
                f"({type(exc).__name__}: {one_line(exc, 120)}): {one_line(response.text, 120)}"
            ) from exc
        if vectors.ndim != 2 or len(vectors) != count:
            raise EmbeddingServerError(
                f"the embedding server at {self.url} sent an array of shape {vectors.shape} for {count} inputs, "
                "not one vector per input"
            )
        if self.dim and vectors.shape[1] != self.dim:
            raise EmbeddingServerError(
                f"the embedding server at {self.url} sent {vectors.shape[1]}-dimension vectors where {self.dim} "
                "were expected; it serves another model now: give it another SURVEY_RAG_EMBEDDING_MODEL name"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def _server_message(response: httpx.Response) -> str:
    """The human message in an error body, in the shapes OpenAI, vLLM, TEI and llama.cpp servers use."""
    try:
        payload: Any = response.json()
    except ValueError:
        return one_line(response.text, 200) or response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    if not message and isinstance(payload, dict):
        message = payload.get("message") or payload.get("detail")
    return one_line(message or payload, 200)
