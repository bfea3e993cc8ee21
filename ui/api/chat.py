"""``POST /v1/chat/completions``: OpenAI's request in, the pipeline's cited answer out.

The last user message is the question; the earlier user messages are the conversation (the
chat page's follow-ups). The reply's ``content`` is the checked answer with its ``[n]`` markers;
the message (or the final streamed chunk's delta) also carries ``citations``, ``refused`` and
``notice``, which clients that do not know them simply ignore.

Streaming: the model's draft is not the answer (sentences in the wrong language or stating
numbers no passage has are dropped, and the markers are added once it is complete), so
``delta.content`` carries only the checked answer; while the model writes, chunks carry the
draft in ``delta.draft`` for clients that want live text.

Example:
    >>> parse_chat_request({"model": "survey-rag", "messages": [{"role": "user", "content": "What is LoRA?"}]},
    ...                    max_question_chars=2000).question
    'What is LoRA?'
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator, Sequence

import anyio
from starlette.concurrency import run_in_threadpool

from core.errors import user_message
from ingest.index import IndexStoreError
from rag.llm.base import GenerationError
from rag.pipeline import RagPipeline
from rag.scope import UnknownDocumentError, resolve_documents
from rag.question import QuestionError, validate_question
from rag.types import Answer, AnswerEvent, Citation, Event, SourcesEvent, TokenEvent
from ui.api.errors import ApiError
from ui.api.gate import AnswerGate

log = logging.getLogger(__name__)

MODEL = "survey-rag"
MAX_TOP_K = 20
MAX_ANSWER_TOKENS = 1024
_PIECE = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class ChatRequest:
    question: str
    history: tuple[str, ...]  # earlier questions, oldest first
    stream: bool = False
    top_k: int | None = None
    max_tokens: int | None = None
    documents: tuple[str, ...] | None = None  # as the client names them (ids, file names, title words)


def parse_chat_request(body: Any, max_question_chars: int) -> ChatRequest:
    """The request, or an ApiError naming the field at fault."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", "invalid_body")
    if body.get("model") != MODEL:
        raise ApiError(404, f"model {body.get('model')!r} is not served here; use {MODEL!r}", "model_not_found", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of {role, content} objects", "invalid_messages",
                       "messages")
    turns = [_text(m, i) for i, m in enumerate(messages) if _role(m, i) == "user"]
    if not turns:
        raise ApiError(400, "no user message: the last user message is the question", "no_user_message", "messages")
    try:
        question = validate_question(turns[-1], max_question_chars)
    except QuestionError as exc:
        raise ApiError(400, str(exc), "invalid_question", "messages") from exc
    history = tuple(t for t in turns[:-1] if _valid(t, max_question_chars))  # as the chat page keeps only answered ones
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "stream must be true or false", "invalid_stream", "stream")
    top_k = _int(body, "top_k", 1, MAX_TOP_K)
    max_tokens = _int(body, "max_completion_tokens", 1, None) or _int(body, "max_tokens", 1, None)
    documents = body.get("documents")
    if documents is not None and (not isinstance(documents, list) or not documents
                                  or not all(isinstance(d, str) and d.strip() for d in documents)):
        raise ApiError(400, "documents must be a non-empty list of document ids, file names or title words",
                       "invalid_documents", "documents")
    return ChatRequest(question, history, stream, top_k,
                       min(max_tokens, MAX_ANSWER_TOKENS) if max_tokens else None,
                       tuple(documents) if documents is not None else None)


def _role(message: Any, i: int) -> str:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise ApiError(400, f"messages[{i}] must be an object with a role and a content", "invalid_messages",
                       "messages")
    return message["role"]


def _text(message: dict, i: int) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: only text is understood
        return "\n".join(p["text"] for p in content
                         if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))
    raise ApiError(400, f"messages[{i}].content must be a string or a list of text parts", "invalid_messages",
                   "messages")


def _valid(text: str, max_chars: int) -> bool:
    try:
        validate_question(text, max_chars)
    except QuestionError:
        return False
    return True


def _int(body: dict, name: str, low: int, high: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limits = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{name} must be a whole number {limits}", f"invalid_{name}", name)
    return value


# ---------------------------------------------------------------- answering


async def answer_events(pipeline: RagPipeline, gate: AnswerGate, req: ChatRequest) -> AsyncIterator[Event]:
    """The pipeline's events, run in worker threads: retrieval at once, writing once a slot is free."""
    scope = await run_in_threadpool(_scope, pipeline, req.documents) if req.documents else None
    events = pipeline.stream(req.question, history=req.history, top_k=req.top_k, max_answer_tokens=req.max_tokens,
                             documents=scope)
    try:
        sources = await run_in_threadpool(_next, events)
        yield sources
        if isinstance(sources, SourcesEvent) and sources.will_refuse:  # no model call: no slot
            while (event := await run_in_threadpool(_next, events)) is not None:
                yield event
            return
        async with gate.slot():
            while (event := await run_in_threadpool(_next, events)) is not None:
                yield event
    except ApiError:
        raise
    except Exception as exc:
        raise answer_error(exc) from exc
    finally:
        with anyio.CancelScope(shield=True):  # a client that hung up: release the model now
            await run_in_threadpool(events.close)


def _scope(pipeline: RagPipeline, names: Sequence[str]) -> list[str]:
    """The ids of the documents the request names (as ``survey-rag ask --doc`` resolves them)."""
    try:
        return resolve_documents(names, pipeline.retriever().index.documents)
    except UnknownDocumentError as exc:
        raise ApiError(400, f"documents: {exc}", "unknown_document", "documents") from exc


def _next(events: Iterator[Event]) -> Event | None:
    return next(events, None)


def answer_error(exc: Exception) -> ApiError:
    """The error object for a failed answer: the CLI's one line, or a bug (logged with its traceback)."""
    message = user_message(exc)
    if isinstance(exc, QuestionError):
        return ApiError(400, str(exc), "invalid_question", "messages")
    if isinstance(exc, IndexStoreError):
        return ApiError(503, str(exc), "no_index")
    if isinstance(exc, GenerationError):
        return ApiError(502, str(exc), "llm_failed")
    if message is not None:
        return ApiError(500, message, "answer_failed")
    log.error("answering failed", exc_info=exc)
    return ApiError(500, f"internal error ({type(exc).__name__}); see the server log", "internal_error")


async def complete(pipeline: RagPipeline, gate: AnswerGate, req: ChatRequest) -> dict:
    """The whole answer as one ``chat.completion`` object."""
    answer = None
    async for event in answer_events(pipeline, gate, req):
        if isinstance(event, AnswerEvent):
            answer = event.answer
    assert answer is not None
    reply_id, created = new_id()
    message = {"role": "assistant", "content": answer.text, **answer_fields(answer)}
    return {"id": reply_id, "object": "chat.completion", "created": created, "model": MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


async def stream_chunks(pipeline: RagPipeline, gate: AnswerGate, req: ChatRequest) -> AsyncIterator[str]:
    """Server-sent events: ``chat.completion.chunk`` objects, then ``data: [DONE]``; a failure after
    the stream began is sent as an error event (the openai client raises it) and ends the stream."""
    reply_id, created = new_id()

    def chunk(delta: dict, finish: str | None = None) -> str:
        body = {"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return sse(body)

    yield chunk({"role": "assistant", "content": ""})
    try:
        async for event in answer_events(pipeline, gate, req):
            if isinstance(event, TokenEvent):
                yield chunk({"draft": event.text, "restart": event.restart})
            elif isinstance(event, AnswerEvent):
                for piece in answer_pieces(event.answer.text):
                    yield chunk({"content": piece})
                yield chunk(answer_fields(event.answer), finish="stop")
    except ApiError as exc:
        yield sse(exc.body())
        return
    yield "data: [DONE]\n\n"


def answer_pieces(text: str, words: int = 8) -> Iterator[str]:
    """The checked answer in short pieces (a few words each), so clients show it as it streams."""
    tokens = _PIECE.findall(text)
    for start in range(0, len(tokens), words):
        yield "".join(tokens[start : start + words])


def sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def new_id() -> tuple[str, int]:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())


def answer_fields(answer: Answer) -> dict:
    return {"citations": [citation_dict(c) for c in answer.citations], "refused": answer.refused,
            "notice": answer.notice or None}


def citation_dict(c: Citation) -> dict:
    chunk, doc = c.hit.chunk, c.hit.document
    return {"n": c.n, "document": doc.doc_id, "title": doc.title, "language": chunk.language, "page": chunk.page,
            "section": chunk.heading or None, "sentence": c.sentence, "passage": chunk.text,
            "support": round(c.support, 4)}
