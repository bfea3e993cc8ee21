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
    from ui.handlers import warm_up

    data_dir = tmp_path_factory.mktemp("ui-data")
    shutil.copytree(corpus_settings.index_dir, data_dir / "index")
    port = free_port()
    settings = make_settings(data_dir, host="127.0.0.1", port=port, max_upload_mb=2.0)
    pipeline = RagPipeline(settings, embedder, generator)
    warm_up(pipeline)  # as `survey-rag chat` does before it prints the address
    app = build_app(pipeline, settings)
    url = launch(app, settings, block=False)
    server = UiServer(url=url.rstrip("/") + "/", settings=settings, pipeline=pipeline, app=app)
    _SERVER["server"] = server
    return server


def close_server() -> None:
    server = _SERVER.pop("server", None)
    if server is not None:
        server.app.close()


class StubPipeline:
    """Stands in for RagPipeline where no model is needed: answers slowly, citing each passage.

    ``passages``: (document, chunk) pairs to cite, sentence = the chunk's first sentence;
    by default one "Stub document" passage. It is an ``ui.protocols.AnswerService``, as
    RagPipeline is (tests/test_ui_handlers.py checks both).
    """

    def __init__(self, settings, delay_s: float = 1.5, passages=None):
        from types import SimpleNamespace

        from ingest.types import IndexedDocument
        from ingest.types import Chunk
        from rag.types import Hit

        self.settings = settings
        self.delay_s = delay_s
        self.generator = SimpleNamespace(name="stub-model")
        self.calls: list[tuple] = []  # (question, history, top_k, max_answer_tokens)
        self.embedder = None
        if passages is None:
            text = "Stub passages exist so the page can be tested without models."
            chunk = Chunk(chunk_id="c0", doc_id="d0", text=text, start=0, end=len(text), language="en",
                          sentences=((0, len(text)),))
            passages = [(IndexedDocument("d0", "/stub/doc.txt", "Stub document", ("en",), "", "h", 1, 0.0), chunk)]
        self.hits = [Hit(chunk=chunk, document=doc, score=0.7 - 0.01 * i, dense=0.7, row=i)
                     for i, (doc, chunk) in enumerate(passages)]
        self.hit = self.hits[0]
        self._index = SimpleNamespace(documents={doc.doc_id: doc for doc, _ in passages}, version="stub-v1",
                                      ocr_page=lambda doc_id, page: None)

    def retriever(self):
        from types import SimpleNamespace

        return SimpleNamespace(index=self._index)

    def warm_up(self, prime_model=True):
        """Nothing to load."""

    def stream(self, question, history=(), top_k=None, max_answer_tokens=None, documents=None):
        import time

        from rag.question import validate_question
        from rag.types import Answer, AnswerEvent, Citation, Evidence, SourcesEvent, TokenEvent

        validate_question(question, self.settings.max_question_chars)
        self.calls.append((question, tuple(history), top_k, max_answer_tokens))
        hits = [h for h in self.hits if documents is None or h.document.doc_id in documents]
        sentences = [h.chunk.sentence_texts()[0] for h in hits]
        yield SourcesEvent(tuple(hits), tuple(Evidence(n, h, s, 0.7) for n, (h, s) in
                                              enumerate(zip(hits, sentences), start=1)), "en", False)
        markers = " ".join(f"[{n}]" for n in range(1, len(hits) + 1))
        for word in ("Stub ", "answer ", markers + "."):
            time.sleep(self.delay_s / 3)
            yield TokenEvent(word)
        citations = tuple(Citation(n, h, s, 0.7) for n, (h, s) in enumerate(zip(hits, sentences), start=1))
        yield AnswerEvent(Answer(question=question, language="en", text=f"Stub answer. {markers}", refused=False,
                                 citations=citations, hits=tuple(hits)))
