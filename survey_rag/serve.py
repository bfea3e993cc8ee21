"""The ``survey-rag serve`` subcommand: the OpenAI-compatible API on 127.0.0.1:8000 by default.

Without ``SURVEY_RAG_API_KEYS`` it listens on this machine only; another address then needs
``--no-auth`` (and logs a warning). See docs/SERVER.md.

Example:
    $ SURVEY_RAG_API_KEYS=k1,k2 survey-rag serve --host 0.0.0.0 --port 8000
"""

from __future__ import annotations

import argparse
import logging
from typing import Callable

from core.settings import Settings
from ingest.pipeline import ensure_index
from rag.llm.factory import answer_slots
from rag.pipeline import RagPipeline

log = logging.getLogger("survey_rag")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register_serve_command(add: Callable) -> None:
    p = add("serve", cmd_serve, "serve the OpenAI-compatible chat API (POST /v1/chat/completions) with citations")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--no-auth", action="store_true",
                   help="allow another address than 127.0.0.1 without SURVEY_RAG_API_KEYS (anyone can ask)")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if not settings.api_key_set and args.host not in LOOPBACK:
        if not args.no_auth:
            log.error("refusing to listen on %s without API keys: set SURVEY_RAG_API_KEYS=key1,key2 "
                      "(or pass --no-auth to let anyone who can reach this machine ask)", args.host)
            return 2
        log.warning("listening on %s without API keys: anyone who can reach this machine can ask "
                    "and upload documents", args.host)
    import uvicorn  # with the web framework, imported only by this command (as in survey_rag/chat.py)

    from ui.api.app import create_app
    from ui.handlers import warm_up

    ensure_index(settings)
    pipeline = RagPipeline.from_settings(settings)
    log.info("loading the answer model (once)…")
    warm_up(pipeline)
    app = create_app(pipeline, settings)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"API: http://{shown}:{args.port}/v1  (model 'survey-rag', answer model {pipeline.generator.name}, "
          f"{answer_slots(settings)} answer(s) at once{', API key required' if settings.api_key_set else ''}; "
          "Ctrl+C to stop)", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=5)
    except OSError as exc:  # uvicorn exits itself when the port is taken; this is for other socket errors
        log.error("cannot listen on %s:%s (%s); pick another port with --port", args.host, args.port, exc)
        return 1
    return 0
