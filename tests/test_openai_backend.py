"""The OpenAI-compatible backend against llama-cpp-python's real server, and against broken servers.

One module-scoped ``python -m llama_cpp.server`` runs SmolLM2-135M on 127.0.0.1 (one thread);
tiny ``http.server`` servers in threads play a server that errors, sends garbage, drops the
connection or wants an API key. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from rag.llm.base import GenerationError
from rag.llm.factory import load_generator
from rag.llm.openai_backend import OpenAICompatibleGenerator, normalize_base_url
from core.models import resolve_model
from conftest import make_settings
from llm_servers import llama_cpp_server
from ui_fixtures import free_port

pytestmark = pytest.mark.timeout(300)

SMALL_MODEL = "smollm2-135m-instruct-q4_1"


@pytest.fixture(scope="module")
def small_model_path(tmp_path_factory) -> Path:
    settings = make_settings(tmp_path_factory.mktemp("server-model"))
    return resolve_model(SMALL_MODEL, settings)


@pytest.fixture(scope="module")
def llama_server(small_model_path, tmp_path_factory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v1``) of a running llama-cpp-python server; stopped afterwards."""
    with llama_cpp_server(small_model_path, tmp_path_factory.mktemp("llama-server") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def server_generator(llama_server, tmp_path_factory) -> Iterator[OpenAICompatibleGenerator]:
    settings = make_settings(tmp_path_factory.mktemp("server-gen"), llm_url=llama_server, llm_timeout_s=60.0)
    gen = load_generator(settings)
    assert isinstance(gen, OpenAICompatibleGenerator)
    yield gen
    gen.close()


# ---------------------------------------------------------------------------- the real server


def test_streamed_reply_arrives_in_pieces(server_generator):
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Name three colors."},
    ]
    pieces = list(server_generator.stream_chat(messages, max_tokens=24))
    assert len(pieces) >= 2, pieces
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()


def test_stop_and_early_close(server_generator):
    messages = [{"role": "user", "content": "Count from 1 to 20, separated by commas."}]
    stream = server_generator.stream_chat(messages, max_tokens=40)
    first = next(stream)
    assert first
    stream.close()  # the consumer walks away: the connection closes, the server goes on serving
    again = "".join(server_generator.stream_chat(messages, max_tokens=8, stop=["\n"]))
    assert "\n" not in again


def test_count_tokens_matches_the_served_model(server_generator, small_model_path):
    from llama_cpp import Llama

    vocab = Llama(model_path=str(small_model_path), vocab_only=True, verbose=False)
    for text in ["How are large language models fine-tuned?", "대규모 언어 모델은 어떻게 미세 조정하나요?"]:
        expected = len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))
        assert server_generator.count_tokens(text) == expected
    assert server_generator._tokenizer is not None
    assert server_generator._tokenizer[0].endswith("/extras/tokenize/count")
    assert server_generator.count_tokens("") == 0


def test_real_server_error_is_one_line(server_generator):
    # llama-cpp-python answers a request it cannot validate with HTTP 500 and a multi-line
    # message (validation errors plus a traceback); the error must still be one readable line.
    with pytest.raises(GenerationError) as info:
        list(server_generator.stream_chat([{"role": "wizard", "content": "hi"}], max_tokens=4))
    message = str(info.value)
    assert "HTTP 500" in message and "validation error" in message
    assert "\n" not in message and len(message) < 500


def test_interrupted_reply_is_an_error_not_a_short_answer(server_generator):
    # llama_cpp.server (default --interrupt_requests True) ends a streaming reply with [DONE] and
    # no finish reason as soon as another request waits: that must not pass for a complete answer.
    story = [{"role": "user", "content": "Write a long story about a dragon."}]
    first = server_generator.stream_chat(story, max_tokens=300)
    assert next(first)
    second: list[str] = []
    other = threading.Thread(
        target=lambda: second.extend(server_generator.stream_chat([{"role": "user", "content": "Hi"}], max_tokens=4))
    )
    other.start()
    try:
        with pytest.raises(GenerationError, match="interrupt_requests False"):
            for _ in first:
                pass
    finally:
        other.join(timeout=60)
    assert not other.is_alive() and second


# ---------------------------------------------------------------------------- a server that is down


def test_server_down_raises_one_line_error_after_bounded_retries(monkeypatch):
    port = free_port()  # closed again: nothing listens there
    pauses: list[float] = []
    monkeypatch.setattr("rag.llm.openai_backend.time.sleep", pauses.append)
    gen = OpenAICompatibleGenerator(f"http://127.0.0.1:{port}/v1", retries=2, backoff_s=0.2, timeout_s=5.0)
    started = time.monotonic()
    with pytest.raises(GenerationError) as info:
        list(gen.stream_chat([{"role": "user", "content": "hi"}], max_tokens=4))
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"cannot reach the LLM server at http://127.0.0.1:{port}/v1: ")
    assert message.endswith("; start it or unset SURVEY_RAG_LLM_URL")
    assert pauses == [0.2, 0.4]
    # Token counts fall back to the estimate instead of failing.
    assert gen.count_tokens("a few words of text") > 0
    gen.close()


def test_real_retry_timing_is_bounded():
    port = free_port()
    gen = OpenAICompatibleGenerator(f"http://127.0.0.1:{port}", retries=2, backoff_s=0.1, timeout_s=5.0)
    started = time.monotonic()
    with pytest.raises(GenerationError, match="cannot reach the LLM server"):
        list(gen.stream_chat([{"role": "user", "content": "hi"}], max_tokens=4))
    assert 0.3 <= time.monotonic() - started < 5


# ---------------------------------------------------------------------------- broken servers


def _sse(*events: str) -> bytes:
    return "".join(f"data: {e}\n\n" for e in events).encode()


def _chunk(text: str | None = None, finish: str | None = None) -> str:
    delta = {"content": text} if text is not None else {}
    return json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


class FakeServer(BaseHTTPRequestHandler):
    """Answers by the first path segment: /ok, /err500, /garbage, /truncated, /html, /midfail, /interrupted, ..."""

    hits: dict[str, int] = {}
    lock = threading.Lock()

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        kind = self.path.strip("/").split("/")[0]
        with self.lock:
            self.hits[kind] = self.hits.get(kind, 0) + 1
            hit = self.hits[kind]
        if not self.path.endswith("/chat/completions"):
            self._send(404, b'{"detail": "Not Found"}', "application/json")
        elif kind == "ok":
            assert request["stream"] is True and request["messages"]
            self._send(200, _sse(_chunk("Hel"), _chunk("lo"), _chunk(finish="stop"), "[DONE]"), "text/event-stream")
        elif kind == "err500":
            body = {"error": {"message": "model exploded", "type": "server_error", "code": 500}}
            self._send(500, json.dumps(body).encode(), "application/json")
        elif kind == "garbage":
            self._send(200, b"data: {this is not json\n\n", "text/event-stream")
        elif kind == "truncated":
            self._send(200, _sse(_chunk("partial")), "text/event-stream")
        elif kind == "html":
            self._send(200, b"<html>hello</html>", "text/html")
        elif kind == "interrupted":  # what llama_cpp.server sends when another request interrupts
            body = _sse(json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}),
                        _chunk("Once"), "[DONE]")  # fmt: skip
            self._send(200, body, "text/event-stream")
        elif kind == "midfail":
            body = _sse(_chunk("one"), json.dumps({"error": {"message": "out of memory"}}))
            self._send(200, body, "text/event-stream")
        elif kind == "flaky":
            if hit == 1:  # drop the first connection without any answer
                self.close_connection = True
                return
            self._send(200, _sse(_chunk("back"), _chunk(finish="stop"), "[DONE]"), "text/event-stream")
        elif kind == "auth":
            if self.headers.get("Authorization") != "Bearer sekret":
                self._send(401, b'{"error": {"message": "Invalid API key"}}', "application/json")
            else:
                self._send(200, _sse(_chunk("welcome"), _chunk(finish="stop"), "[DONE]"), "text/event-stream")
        else:
            self._send(404, b'{"detail": "Not Found"}', "application/json")


@pytest.fixture(scope="module")
def fake_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _ask(url: str, **kwargs) -> str:
    gen = OpenAICompatibleGenerator(url, timeout_s=5.0, backoff_s=0.05, **kwargs)
    try:
        return "".join(gen.stream_chat([{"role": "user", "content": "hi"}], max_tokens=8))
    finally:
        gen.close()


def test_fake_ok_server_streams(fake_server):
    assert _ask(fake_server + "/ok/v1") == "Hello"


def test_http_500_names_status_and_server_message(fake_server):
    with pytest.raises(GenerationError) as info:
        _ask(fake_server + "/err500/v1")
    assert "HTTP 500" in str(info.value) and "model exploded" in str(info.value)
    assert "\n" not in str(info.value)
    assert FakeServer.hits["err500"] == 1  # HTTP errors are not retried


def test_wrong_path_gives_404_with_hint(fake_server):
    with pytest.raises(GenerationError, match=r"HTTP 404: Not Found; check SURVEY_RAG_LLM_URL"):
        _ask(fake_server + "/nope/v1")


@pytest.mark.parametrize(
    "scenario, problem",
    [
        ("garbage", r"malformed stream: an event is not JSON"),
        ("truncated", r"malformed stream: it ended before data: \[DONE\]"),
        ("html", r"malformed stream: content type 'text/html'"),
        ("midfail", r"failed mid-answer: out of memory"),
        ("interrupted", r"cut the answer short .*--interrupt_requests False"),
    ],
)
def test_bad_streams_raise(fake_server, scenario, problem):
    with pytest.raises(GenerationError, match=problem):
        _ask(f"{fake_server}/{scenario}/v1")


def test_dropped_connection_is_retried_before_the_first_token(fake_server):
    assert _ask(fake_server + "/flaky/v1", retries=2) == "back"
    assert FakeServer.hits["flaky"] == 2


def test_api_key_is_sent_as_bearer(fake_server, tmp_path):
    with pytest.raises(GenerationError, match=r"HTTP 401: Invalid API key; check SURVEY_RAG_LLM_API_KEY"):
        _ask(fake_server + "/auth/v1")
    settings = make_settings(tmp_path, llm_url=fake_server + "/auth/v1", llm_api_key="sekret")
    gen = OpenAICompatibleGenerator.from_settings(settings)
    assert "".join(gen.stream_chat([{"role": "user", "content": "hi"}], max_tokens=4)) == "welcome"
    # No tokenizer endpoint there: the estimate stands in.
    assert gen.count_tokens("twelve characters") > 0
    assert gen._tokenizer is None
    gen.close()


def test_base_url_forms():
    assert normalize_base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert normalize_base_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1"
    assert normalize_base_url("http://127.0.0.1:8000/v1/chat/completions") == "http://127.0.0.1:8000/v1"
    with pytest.raises(GenerationError, match="not an http"):
        normalize_base_url("127.0.0.1:8000")


@pytest.mark.slow
def test_whole_pipeline_answers_with_citations_through_the_server(llama_server, corpus_settings, embedder):
    """SURVEY_RAG_LLM_URL mode end to end: load_generator picks the server, the answer streams and is cited."""
    from rag.pipeline import RagPipeline
    from rag.types import AnswerEvent, TokenEvent

    settings = corpus_settings.replace(llm_url=llama_server)
    generator = load_generator(settings)
    assert isinstance(generator, OpenAICompatibleGenerator)
    events = list(RagPipeline(settings, embedder, generator).stream("Is GeLU or ReLU the more common activation function in modern LLMs?"))
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    answer = next(e.answer for e in events if isinstance(e, AnswerEvent))
    assert len(tokens) > 1
    assert not answer.refused
    assert answer.citations
    assert all(c.sentence in c.hit.chunk.text for c in answer.citations)
