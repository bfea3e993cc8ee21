"""The ``survey-rag chat`` subcommand: the chat page on 127.0.0.1:7860 by default.

Optional login: set SURVEY_RAG_USERNAME and SURVEY_RAG_PASSWORD. No public share link is
ever created.

Example:
    $ survey-rag chat --port 7860
    Chat page: http://127.0.0.1:7860/  (Ctrl+C to stop)
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Callable

from core.settings import Settings
from ingest.pipeline import ensure_index
from rag.pipeline import RagPipeline

log = logging.getLogger("survey_rag")

USERNAME_ENV = "SURVEY_RAG_USERNAME"
PASSWORD_ENV = "SURVEY_RAG_PASSWORD"


def register_chat_command(add: Callable) -> None:
    p = add("chat", cmd_chat, "open the chat page (Gradio) on the indexed documents")
    p.add_argument("--host", default=None, help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=None, help="port (default: 7860)")


def auth_from_env(environ=None) -> tuple[str, str] | None:
    """(username, password) from the environment, None when unset; one without the other is an error."""
    environ = os.environ if environ is None else environ
    user, password = environ.get(USERNAME_ENV, ""), environ.get(PASSWORD_ENV, "")
    if bool(user) != bool(password):
        raise ValueError(f"set both {USERNAME_ENV} and {PASSWORD_ENV} to require a login, or neither")
    return (user, password) if user else None


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if args.host:
        settings = settings.replace(host=args.host)
    if args.port:
        settings = settings.replace(port=args.port)
    try:
        auth = auth_from_env()
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    if auth is None and settings.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s without a login: anyone who can reach this machine can use the page "
                    "(set %s and %s to require one)", settings.host, USERNAME_ENV, PASSWORD_ENV)

    # Imported here, not at the top: Gradio costs every other command 2-4 s of start-up (`survey-rag ingest`).
    from ui.app import build_app, launch
    from ui.handlers import warm_up

    ensure_index(settings)
    pipeline = RagPipeline.from_settings(settings)
    log.info("loading the answer model %s (once)…", settings.llm_model)
    name = pipeline.generator.name

    warm_up(pipeline)
    app = build_app(pipeline, settings)
    try:
        url = launch(app, settings, auth=auth, block=False)
    except OSError as exc:
        log.error("cannot listen on %s:%s (%s); pick another port with --port", settings.host, settings.port, exc)
        return 1
    shown = url.replace("0.0.0.0", "127.0.0.1")
    print(f"Chat page: {shown}  (model {name}{', login required' if auth else ''}; Ctrl+C to stop)", flush=True)
    try:
        app.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
    return 0
