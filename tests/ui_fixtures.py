"""One running chat app shared by the UI test modules (API and browser tests).

The app gets its own data folder holding a copy of the session's corpus index, so uploads
and re-ingests in these tests never touch the index other tests read. The server is started
once per test session, on 127.0.0.1 and a free port, and stopped at exit.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from conftest import make_settings

REPO = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO / "test-output"

ZORBLAX_TITLE = "Zorblax-7 training notes"
ZORBLAX_TEXT = (
    f"# {ZORBLAX_TITLE}\n\n"
    "The Zorblax-7 model was trained on 12 lunar datasets. "
    "Its training took place at the Tycho crater observatory and used no terrestrial text at all.\n"
)


@dataclass
class UiServer:
    url: str
    settings: object
    pipeline: object
    app: object


_SERVER: dict[str, UiServer] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ui_server(tmp_path_factory, corpus_settings, embedder, generator) -> UiServer:
    """The shared server (started on first use)."""
    if "server" in _SERVER:
        return _SERVER["server"]
    from rag.pipeline import RagPipeline
    from ui.app import build_app, launch

    data_dir = tmp_path_factory.mktemp("ui-data")
    shutil.copytree(corpus_settings.index_dir, data_dir / "index")
    port = free_port()
    settings = make_settings(data_dir, host="127.0.0.1", port=port, max_upload_mb=2.0)
    pipeline = RagPipeline(settings, embedder, generator)
    app = build_app(pipeline, settings)
    url = launch(app, settings, block=False)
    server = UiServer(url=url.rstrip("/") + "/", settings=settings, pipeline=pipeline, app=app)
    _SERVER["server"] = server
    return server


def close_server() -> None:
    server = _SERVER.pop("server", None)
    if server is not None:
        server.app.close()
