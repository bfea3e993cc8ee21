"""Generation through any OpenAI-compatible server (llama.cpp's server, llama-cpp-python, vLLM, ...).

``OpenAICompatibleGenerator`` implements the ``rag.llm.base.Generator`` protocol against
``POST <url>/chat/completions`` with ``"stream": true`` and reads the reply as server-sent events
(``data: {...}`` lines, ending with ``data: [DONE]``). Connection errors are retried with backoff,
but only before the first piece of the answer arrived; a server that is down, answers with an HTTP
error or sends a malformed stream raises ``GenerationError`` with a one-line message.

Token counts come from the server's tokenizer when it has one (llama-cpp-python:
``POST /extras/tokenize/count``; vLLM and llama.cpp's ``llama-server``: ``POST /tokenize``), else
from the rough estimate the chunker uses.

Example:
    >>> settings = Settings.load(overrides={"llm_url": "http://127.0.0.1:8000/v1"})  # doctest: +SKIP
    >>> gen = OpenAICompatibleGenerator.from_settings(settings)  # doctest: +SKIP
    >>> "".join(gen.stream_chat([{"role": "user", "content": "Say hi"}], max_tokens=8))  # doctest: +SKIP
    'Hi!'
    >>> gen.count_tokens("How many tokens?")  # doctest: +SKIP
    5
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

from core.settings import Settings
from core.text import estimate_tokens, one_line
from core.urls import server_url
from rag.llm.base import GenerationError, Message

log = logging.getLogger(__name__)

_MAX_ERROR_BODY = 64 * 1024  # bytes of an error response read to find its message
_MAX_MESSAGE_CHARS = 300
_COUNT_CACHE_SIZE = 4096
_TOKENIZER_RETRY_S = 30.0  # after a failed tokenizer call, estimate for this long before asking again
# Errors that mean "no usable connection": safe to retry while nothing has been received.
_RETRYABLE = (httpx.NetworkError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.PoolTimeout)


def _error_message(payload: Any) -> str | None:
    """The human message inside an error body in the shapes OpenAI, vLLM and llama.cpp servers use."""
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str) and error:
            return error
        if payload.get("message"):
            return str(payload["message"])
        detail = payload.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list) and detail:
            parts = [d.get("msg", str(d)) if isinstance(d, dict) else str(d) for d in detail]
            return "; ".join(parts)
    return None


def normalize_base_url(url: str) -> str:
    """``http://host:8000`` -> ``http://host:8000/v1``; a trailing ``/chat/completions`` or slash is dropped."""
    parts = server_url(url, "SURVEY_RAG_LLM_URL", "http://127.0.0.1:8000/v1", GenerationError)
    path = parts.path
    for suffix in ("/chat/completions", "/completions"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return parts._replace(path=path or "/v1").geturl()


class OpenAICompatibleGenerator:
    """A model served over HTTP with the OpenAI chat completions API. Safe to share between threads.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8000/v1`` (a bare ``http://host:port`` gets ``/v1``).
        model: the model name the server expects (vLLM: the served model name; llama-cpp-python
            accepts any name and uses its loaded model).
        api_key: sent as ``Authorization: Bearer <key>`` when not empty.
        timeout_s: longest wait for the server to send the next bytes of a reply.
        connect_timeout_s: longest wait to open a connection (default: ``min(timeout_s, 10)``).
        retries: extra attempts after a connection error, made only before any token arrived.
        backoff_s: the first pause between attempts; it doubles after each one.
    """

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        api_key: str = "",
        timeout_s: float = 120.0,
        connect_timeout_s: float | None = None,
        retries: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        parts = urlsplit(self.base_url)
        root_path = parts.path[: -len("/v1")] if parts.path.endswith("/v1") else parts.path
        self.server_root = urlunsplit((parts.scheme, parts.netloc, root_path, "", ""))
        self.model = model or "default"
        self.name = f"{self.model} @ {self.base_url}"
        self.retries = max(0, int(retries))
        self.backoff_s = max(0.0, float(backoff_s))
        self.timeout_s = float(timeout_s)
        connect = min(self.timeout_s, 10.0) if connect_timeout_s is None else float(connect_timeout_s)
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s, connect=connect),
            trust_env=False,  # never route a local model server through a proxy from the environment
        )
        self._lock = threading.Lock()
        self._tokenizer: tuple[str, int] | None = None  # (endpoint, tokens the server adds to any text)
        self._tokenizer_probed = False
        self._tokenizer_failed_at: float | None = None
        self._counts: OrderedDict[str, int] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> "OpenAICompatibleGenerator":
        """The server named by ``llm_url``, ``llm_server_model``, ``llm_api_key`` and ``llm_timeout_s``."""
        if not settings.llm_url:
            raise GenerationError("no LLM server configured; set SURVEY_RAG_LLM_URL, e.g. http://127.0.0.1:8000/v1")
        return cls(
            settings.llm_url,
            model=settings.llm_server_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "OpenAICompatibleGenerator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- generation

    def stream_chat(
        self, messages: Sequence[Message], max_tokens: int, temperature: float = 0.0, stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> Iterator[str]:
        """Yield the reply piece by piece as the server streams it. ``banned`` is not applied: the
        server's token ids are unknown here (the pipeline's checks still reject a bare "YES")."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "max_tokens": int(max_tokens),
            "temperature": float(temperature),
            "stream": True,
        }
        if stop:
            payload["stop"] = list(stop)
        url = self.base_url + "/chat/completions"
        received = False
        attempt = 0
        while True:
            try:
                with self._client.stream("POST", url, json=payload) as response:
                    if response.status_code >= 400:
                        raise self._http_error(response)
                    for piece in self._read_reply(response):
                        received = True
                        yield piece
                return
            except _RETRYABLE as exc:
                if received:
                    raise GenerationError(
                        f"the connection to the LLM server at {self.base_url} broke mid-answer: {one_line(exc, _MAX_MESSAGE_CHARS)}"
                    ) from exc
                if attempt >= self.retries:
                    reason = one_line(exc, _MAX_MESSAGE_CHARS) or type(exc).__name__
                    raise GenerationError(
                        f"cannot reach the LLM server at {self.base_url}: {reason}; "
                        "start it or unset SURVEY_RAG_LLM_URL"
                    ) from exc
                pause = self.backoff_s * (2**attempt)
                attempt += 1
                log.warning("LLM server %s: %s; retry %d in %.1f s", self.base_url, exc, attempt, pause)
                time.sleep(pause)
            except httpx.TimeoutException as exc:
                raise GenerationError(
                    f"the LLM server at {self.base_url} sent nothing for {self.timeout_s:g} s; "
                    "it may be overloaded (raise SURVEY_RAG_LLM_TIMEOUT_S or check the server)"
                ) from exc
            except httpx.HTTPError as exc:
                raise GenerationError(f"talking to the LLM server at {self.base_url} failed: {one_line(exc, _MAX_MESSAGE_CHARS)}") from exc

    def _http_error(self, response: httpx.Response) -> GenerationError:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= _MAX_ERROR_BODY:
                break
        text = body[:_MAX_ERROR_BODY].decode("utf-8", errors="replace")
        try:
            message = _error_message(json.loads(text)) or text
        except ValueError:
            message = text
        message = one_line(message, _MAX_MESSAGE_CHARS) or response.reason_phrase
        hint = ""
        if response.status_code in (401, 403):
            hint = "; check SURVEY_RAG_LLM_API_KEY"
        elif response.status_code == 404:
            hint = "; check SURVEY_RAG_LLM_URL (it usually ends in /v1) and SURVEY_RAG_LLM_SERVER_MODEL"
        return GenerationError(
            f"the LLM server at {self.base_url} answered HTTP {response.status_code}: {message}{hint}"
        )

    def _malformed(self, problem: str) -> GenerationError:
        return GenerationError(f"the LLM server at {self.base_url} sent a malformed stream: {problem}")

    def _read_reply(self, response: httpx.Response) -> Iterator[str]:
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            # A server that ignores "stream": the whole reply in one JSON document.
            yield from self._read_json_reply(response)
            return
        if content_type != "text/event-stream":
            raise self._malformed(f"content type {content_type or 'none'!r} instead of text/event-stream")
        finished = False
        for data in self._sse_events(response):
            if data.strip() == "[DONE]":
                if not finished:
                    # llama-cpp-python's server ends a reply this way when another request arrives
                    # (its --interrupt_requests, on by default); an OpenAI-style server always
                    # names a finish reason.
                    raise GenerationError(
                        f"the LLM server at {self.base_url} cut the answer short (no finish reason); "
                        "if it is llama_cpp.server, start it with --interrupt_requests False"
                    )
                return
            try:
                event = json.loads(data)
            except ValueError:
                raise self._malformed(f"an event is not JSON: {one_line(data, 80)!r}") from None
            if not isinstance(event, dict):
                raise self._malformed(f"an event is not a JSON object: {one_line(data, 80)!r}")
            if "error" in event:
                message = one_line(_error_message(event) or event["error"], _MAX_MESSAGE_CHARS)
                raise GenerationError(f"the LLM server at {self.base_url} failed mid-answer: {message}")
            choices = event.get("choices")
            if not isinstance(choices, list):
                raise self._malformed(f"an event has no choices: {one_line(data, 80)!r}")
            if not choices:  # e.g. a final usage-only event
                continue
            choice = choices[0]
            if not isinstance(choice, dict):
                raise self._malformed(f"a choice is not a JSON object: {one_line(data, 80)!r}")
            delta = choice.get("delta") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            if content:
                yield str(content)
            if choice.get("finish_reason"):
                finished = True
        if not finished:
            raise self._malformed("it ended before data: [DONE]")

    def _read_json_reply(self, response: httpx.Response) -> Iterator[str]:
        try:
            body = json.loads(response.read())
            content = body["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._malformed("a JSON reply without choices[0].message.content") from None
        if content:
            yield str(content)

    @staticmethod
    def _sse_events(response: httpx.Response) -> Iterator[str]:
        """The data of each server-sent event (``data:`` lines joined; comments and other fields skipped)."""
        data: list[str] = []
        for line in response.iter_lines():
            if not line:
                if data:
                    yield "\n".join(data)
                    data = []
                continue
            if line.startswith(":"):  # comment, e.g. keep-alive pings
                continue
            field, _, value = line.partition(":")
            if field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
        if data:
            yield "\n".join(data)

    # ----------------------------------------------------------------- token counts

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` costs, from the server's tokenizer when it has one, else a rough estimate."""
        with self._lock:
            cached = self._counts.get(text)
            if cached is not None:
                self._counts.move_to_end(text)
                return cached
        count = self._server_count(text)
        if count is None:
            return estimate_tokens(text)  # not cached: the server's count may become available
        with self._lock:
            self._counts[text] = count
            if len(self._counts) > _COUNT_CACHE_SIZE:
                self._counts.popitem(last=False)
        return count

    def _tokenizer_candidates(self) -> list[str]:
        return [self.server_root + "/extras/tokenize/count", self.server_root + "/tokenize"]

    def _server_count(self, text: str) -> int | None:
        with self._lock:
            if self._tokenizer_failed_at is not None:
                if time.monotonic() - self._tokenizer_failed_at < _TOKENIZER_RETRY_S:
                    return None
                self._tokenizer_failed_at = None
            probed, tokenizer = self._tokenizer_probed, self._tokenizer
        try:
            if not probed:
                tokenizer = self._probe_tokenizer()
            if tokenizer is None:
                return None
            endpoint, overhead = tokenizer
            raw = self._ask_tokenizer(endpoint, text)
        except httpx.HTTPError as exc:
            log.info("LLM server tokenizer unavailable (%s); estimating token counts", one_line(exc, _MAX_MESSAGE_CHARS))
            with self._lock:
                self._tokenizer_failed_at = time.monotonic()
            return None
        if raw is None:
            return None
        return max(0, raw - overhead)

    def _probe_tokenizer(self) -> tuple[str, int] | None:
        """Find a tokenizer endpoint; remember it and the count it gives for empty text (e.g. a BOS token)."""
        found: tuple[str, int] | None = None
        for endpoint in self._tokenizer_candidates():
            overhead = self._ask_tokenizer(endpoint, "")
            if overhead is not None:
                found = (endpoint, overhead)
                break
        with self._lock:
            self._tokenizer, self._tokenizer_probed = found, True
        log.info("LLM server tokenizer: %s", found[0] if found else "none; estimating token counts")
        return found

    def _ask_tokenizer(self, endpoint: str, text: str) -> int | None:
        """The token count from one endpoint, or None when it does not answer that request."""
        payload = {
            "model": self.model,
            "input": text,  # llama-cpp-python
            "prompt": text,  # vLLM
            "content": text,  # llama.cpp's llama-server
            "add_special_tokens": False,  # vLLM
            "add_special": False,  # llama-server
        }
        timeout = httpx.Timeout(min(self.timeout_s, 10.0))
        response = self._client.post(endpoint, json=payload, timeout=timeout, headers={"Accept": "application/json"})
        if response.status_code != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        if isinstance(body.get("count"), int):
            return int(body["count"])
        if isinstance(body.get("tokens"), list):
            return len(body["tokens"])
        return None
