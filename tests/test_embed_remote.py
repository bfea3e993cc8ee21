"""Embeddings from a real OpenAI-compatible server: llama-cpp-python's own server on 127.0.0.1, serving
SmolLM2-135M with mean pooling (the test checks the client path, not the vectors' quality), reached
through a small real proxy that counts requests and can break the next replies on demand."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
import pytest

from conftest import make_settings
from core.models import resolve_model
from core.settings import Settings
from ingest.embed import Embedder, embedding_model_id
from ingest.embed_cache import EmbeddingCache
from ingest.embed_remote import EmbeddingServerError, RemoteEmbedder, normalize_embeddings_url, remote_model_id
from ingest.index import open_index
from ingest.pipeline import ingest_paths
from ingest.types import Chunk
from llm_servers import llama_cpp_server, mean_pooling_gguf
from ui_fixtures import free_port

pytestmark = pytest.mark.timeout(600)

DOCUMENTS = {  # file name: (title line, text)
    "cats.txt": ("Cats", "Cats sleep for sixteen hours a day. A cat purrs when it is content and hunts mice at night."),
    "rockets.txt": ("Rockets", "A rocket engine burns liquid hydrogen with liquid oxygen. The exhaust leaves the "
                               "nozzle faster than sound and pushes the rocket upwards."),
    "bread.txt": ("Bread", "Bread dough rises because yeast turns sugar into carbon dioxide. Bakers knead the "
                           "dough and bake it in a hot oven."),
}


class Proxy:
    """A real HTTP proxy in front of the server: counts the embedding requests and inputs it forwards,
    and answers the next requests with the queued faults instead."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.requests = 0
        self.inputs: list[str] = []
        self.faults: deque[str] = deque()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._send(httpx.get(proxy.upstream + self.path.removeprefix("/v1"), timeout=60, trust_env=False))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy._lock:
                    proxy.requests += 1
                    proxy.inputs.extend(json.loads(body)["input"])
                    fault = proxy.faults.popleft() if proxy.faults else ""
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault == "503":
                    return self._reply(503, b'{"error": {"message": "model is loading"}}')
                if fault == "html":
                    return self._reply(200, b"<html>gateway</html>", "text/html")
                upstream = httpx.post(proxy.upstream + self.path.removeprefix("/v1"), content=body,
                                      headers={"Content-Type": "application/json"}, timeout=120, trust_env=False)
                if fault == "short":  # a server that serves another model under the same name
                    payload = upstream.json()
                    for item in payload["data"]:
                        item["embedding"] = item["embedding"][:100]
                    return self._reply(200, json.dumps(payload).encode())
                self._send(upstream)

            def _send(self, response: httpx.Response) -> None:
                self._reply(response.status_code, response.content, response.headers.get("content-type", ""))

            def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("embedding-server")
    source = resolve_model("smollm2-135m-instruct-q4_1", make_settings(work))
    model = mean_pooling_gguf(source, work / "smollm2-mean.gguf")
    with llama_cpp_server(model, work / "server.log", "--embedding", "true") as url:
        yield url


@pytest.fixture
def proxy(server_url) -> Iterator[Proxy]:
    p = Proxy(server_url)
    yield p
    p.close()


def remote_settings(tmp_path: Path, url: str, **overrides):
    # A generous timeout: the server shares a busy machine with the rest of the suite.
    return make_settings(tmp_path / "data", embedding_url=url, embedding_model="smollm2-test", embedding_timeout_s=600,
                         embedding_cache_file=str(tmp_path / "cache.sqlite"), **overrides)


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, text) in DOCUMENTS.items():
        (folder / name).write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    return folder


def test_ingest_and_retrieve_through_the_server_with_cache(tmp_path, proxy):
    settings = remote_settings(tmp_path, proxy.url, embedding_request_batch=4)
    corpus = write_corpus(tmp_path / "corpus")

    report = ingest_paths([corpus], settings)  # the factory picks the server: SURVEY_RAG_EMBEDDING_URL is set
    assert report.ok and report.embedded == report.chunks == 3
    index = open_index(settings.index_dir)
    assert index.embedding_model == embedding_model_id(settings) == remote_model_id(settings)
    assert index.dim == 576 and index.embedding_model.startswith("remote:smollm2-test:")
    # Passages and their sentences are separate inputs, each with the document prompt and its title;
    # at most 4 inputs a request.
    cats = next(c for c in index.chunks if index.document_of(c).title == "Cats")
    assert len(cats.sentences) > 1
    assert {f"title: Cats | text: {t}" for t in [cats.text, *cats.sentence_texts()]} <= set(proxy.inputs)
    assert proxy.requests == 1 + -(-(len(proxy.inputs) - 1) // 4)  # the probe, then full batches
    assert len(proxy.inputs) - 1 == len(set(proxy.inputs) - {"dimension probe"})  # each text sent once

    embedder = Embedder.load(settings)
    assert isinstance(embedder, RemoteEmbedder)
    question = embedder.encode_queries(["Cats sleep for how many hours a day?"])[0]
    assert np.isclose(np.linalg.norm(question), 1.0, atol=1e-5)
    best = index.search(question, k=1)[0]
    assert index.chunks[best[0]] == cats

    before = proxy.requests
    again = ingest_paths([corpus], settings, embedder=embedder, rebuild=True)
    assert again.ok and again.chunks == 3 and again.embedded == 0
    assert proxy.requests == before  # every vector came from the cache
    np.testing.assert_allclose(open_index(settings.index_dir).vectors_of([0, 1, 2]), index.vectors_of([0, 1, 2]))


def test_another_model_name_never_reuses_the_cache(tmp_path, proxy):
    corpus = write_corpus(tmp_path / "corpus")
    first = remote_settings(tmp_path, proxy.url)
    assert ingest_paths([corpus], first).embedded == 3
    renamed = first.replace(embedding_model="another-model")
    assert remote_model_id(renamed) != remote_model_id(first)
    assert remote_model_id(first.replace(embedding_query_prompt="query: ")) != remote_model_id(first)
    report = ingest_paths([corpus], renamed)  # the index's model differs: rebuilt, nothing taken from the cache
    assert report.embedded == 3 and open_index(renamed.index_dir).embedding_model == remote_model_id(renamed)


def test_cached_chunks_are_not_sent_again(tmp_path, proxy):
    embedder = RemoteEmbedder.from_settings(remote_settings(tmp_path, proxy.url))
    text = "Bread dough rises. Bakers knead it."
    chunks = [Chunk("c1", "d1", text, 0, len(text), "en", sentences=((0, 18), (19, len(text))))]
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    passages, sentences, computed = embedder.encode_chunks_cached(chunks, cache)
    sent = proxy.requests
    again, again_sentences, recomputed = embedder.encode_chunks_cached(chunks, cache)
    assert (computed, recomputed, proxy.requests) == (1, 0, sent)
    np.testing.assert_array_equal(again, passages)
    assert sentences.shape == again_sentences.shape == (2, embedder.dim)
    cache.close()


@pytest.mark.parametrize("fault", ["503", "drop"])
def test_one_failure_is_retried(tmp_path, proxy, fault):
    embedder = RemoteEmbedder.from_settings(remote_settings(tmp_path, proxy.url))
    expected = embedder.encode_queries(["How does bread rise?"])
    proxy.faults.append(fault)
    before = proxy.requests
    np.testing.assert_allclose(embedder.encode_queries(["How does bread rise?"]), expected, atol=1e-6)
    assert proxy.requests == before + 2


@pytest.mark.parametrize(("fault", "cause"), [
    ("html", "not an embeddings list"),
    ("short", "100-dimension vectors where 576 were expected"),
    ("503", "HTTP 503: model is loading (after 2 attempts)"),
])
def test_unusable_replies_are_one_line_errors(tmp_path, proxy, fault, cause):
    settings = remote_settings(tmp_path, proxy.url)
    embedder = RemoteEmbedder(proxy.url, "smollm2-test", remote_model_id(settings), "", "", retries=1, backoff_s=0.01)
    proxy.faults.extend([fault, fault])
    with pytest.raises(EmbeddingServerError) as caught:
        embedder.encode_documents(["Rockets burn hydrogen."])
    message = str(caught.value)
    assert "\n" not in message and f"at {proxy.url}/embeddings" in message and cause in message


def test_dead_url_is_one_line_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = remote_settings(tmp_path, url)
    with pytest.raises(EmbeddingServerError) as caught:
        RemoteEmbedder(url, "m", remote_model_id(settings), "", "", retries=2, backoff_s=0.01)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"the embedding server at {url}/embeddings: cannot reach it:")
    assert message.endswith("(after 3 attempts); start it or unset SURVEY_RAG_EMBEDDING_URL")


def test_url_forms_and_settings():
    assert normalize_embeddings_url(" http://h:1/v1/embeddings/ ") == "http://h:1/v1/embeddings"
    with pytest.raises(EmbeddingServerError, match="not an http"):
        normalize_embeddings_url("h:1/v1")
    env = {"SURVEY_RAG_EMBEDDING_URL": "http://gpu:7997/v1", "SURVEY_RAG_EMBEDDING_REQUEST_BATCH": "128",
           "SURVEY_RAG_EMBEDDING_API_KEY": "k", "SURVEY_RAG_EMBEDDING_TIMEOUT_S": "5"}
    settings = Settings.load(environ=env)
    assert (settings.embedding_url, settings.embedding_request_batch, settings.embedding_api_key,
            settings.embedding_timeout_s) == ("http://gpu:7997/v1", 128, "k", 5.0)
    assert embedding_model_id(settings) == remote_model_id(settings)  # no local model folder is looked at
