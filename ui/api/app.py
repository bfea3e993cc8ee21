"""The ASGI app of ``survey-rag serve``: an OpenAI-compatible chat API over one ``RagPipeline``.

Routes: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET|POST /v1/documents``,
``DELETE /v1/documents/{id}`` (all behind ``Authorization: Bearer`` when ``api_keys`` is set) and
``GET /healthz`` (open: status and answer-slot counts). Every error is OpenAI's error object.

Example:
    >>> app = create_app(RagPipeline.from_settings(settings), settings)  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import hmac
import json

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from ingest.index import current_version
from rag.llm.factory import answer_slots
from rag.pipeline import RagPipeline
from ui.api.chat import MODEL, complete, parse_chat_request, stream_chunks
from ui.api.documents import delete_document, list_documents, upload_document
from ui.api.errors import ApiError
from ui.api.gate import AnswerGate

MAX_JSON_BYTES = 1_000_000  # a chat request: a question is at most 2,000 characters, a long conversation fits
UPLOAD_OVERHEAD_BYTES = 64_000  # multipart boundaries and headers around the file


def create_app(pipeline: RagPipeline, settings: Settings | None = None) -> FastAPI:
    settings = settings or pipeline.settings
    gate = AnswerGate(answer_slots(settings))
    keys = settings.api_key_set

    def require_key(request: Request) -> None:
        if not keys:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "missing API key: send the header 'Authorization: Bearer <key>'", "missing_api_key")
        if not any(hmac.compare_digest(token.strip().encode(), k.encode()) for k in keys):
            raise ApiError(401, "incorrect API key; use one of SURVEY_RAG_API_KEYS", "invalid_api_key")

    app = FastAPI(title="survey-rag", docs_url=None, redoc_url=None, openapi_url=None)
    api = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    @api.post("/chat/completions")
    async def chat_completions(request: Request):
        req = parse_chat_request(await read_json(request), settings.max_question_chars)
        if req.stream:
            return StreamingResponse(stream_chunks(pipeline, gate, req), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return await complete(pipeline, gate, req)

    @api.get("/models")
    async def models():
        return {"object": "list", "data": [model_card()]}

    @api.get("/models/{name}")
    async def model(name: str):
        if name != MODEL:
            raise ApiError(404, f"model {name!r} is not served here; use {MODEL!r}", "model_not_found")
        return model_card()

    @api.get("/documents")
    async def documents():
        return await run_in_threadpool(list_documents, pipeline)

    @api.post("/documents")
    async def upload(request: Request):
        form = await request.form(max_files=1, max_fields=4)
        try:
            file = form.get("file")
            if file is None or isinstance(file, str):
                raise ApiError(400, "send the document as a multipart form field named 'file'", "missing_file", "file")
            data = await file.read()
            return await run_in_threadpool(upload_document, file.filename or "upload", data, settings, pipeline)
        finally:
            await form.close()

    @api.delete("/documents/{doc_id}")
    async def delete(doc_id: str):
        return await run_in_threadpool(delete_document, doc_id, settings, pipeline)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "model": MODEL, "index_version": current_version(settings.index_dir),
                **gate.stats()}

    app.include_router(api)
    app.add_exception_handler(ApiError, lambda _, exc: exc.response(
        {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None))
    app.add_exception_handler(HTTPException, lambda _, exc: ApiError(exc.status_code, str(exc.detail)).response())
    app.state.gate = gate
    max_upload = int(settings.max_upload_mb * 1e6) + UPLOAD_OVERHEAD_BYTES
    return BodyLimit(app, lambda path: max_upload if path.rstrip("/") == "/v1/documents" else MAX_JSON_BYTES)


def model_card() -> dict:
    return {"id": MODEL, "object": "model", "created": 0, "owned_by": "survey-rag"}


async def read_json(request: Request) -> object:
    body = await request.body()
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the request body is not valid JSON ({exc})", "invalid_json") from exc


class BodyLimit:
    """Refuse request bodies over ``limit(path)`` bytes with 413, by Content-Length or while reading."""

    def __init__(self, app: ASGIApp, limit):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        error = ApiError(413, f"the request body is larger than the {limit:,}-byte limit", "request_too_large")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await error.response()(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise error
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except ApiError as exc:
            if started:
                raise
            await exc.response()(scope, receive, send)
