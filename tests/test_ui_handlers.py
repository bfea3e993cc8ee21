"""The chat page's handlers (ui/handlers.py) without Gradio or a browser.

Chat: over the test stub (tests/ui_fixtures.py), bound to ``ui.protocols.AnswerService`` as
``RagPipeline`` is (checked here). Documents: over a real RagPipeline with the small embedder
(all-MiniLM-L6-v2) and the small llama.cpp model, on a real index in tmp_path.
"""

from __future__ import annotations

import inspect

import pytest

from conftest import make_settings
from ingest.index import IngestLock, IndexStoreError
from rag.pipeline import RagPipeline
from ui.handlers import EMPTY_TABLE, LOCKED_MESSAGE, ChatHandler, DocumentsHandler
from ui.protocols import AnswerService
from ui_fixtures import StubPipeline


def protocol_mismatches(protocol: type, obj: object) -> list[str]:
    """Members of ``protocol`` that ``obj`` lacks, or whose method parameters differ (nothing is evaluated)."""
    problems = []
    for name, member in vars(protocol).items():
        if name.startswith("_"):
            continue
        try:
            found = inspect.getattr_static(obj, name)
        except AttributeError:
            problems.append(f"{type(obj).__name__} has no {name}")
            continue
        if inspect.isfunction(member):
            expected = list(inspect.signature(member).parameters)
            actual = list(inspect.signature(found).parameters) if callable(found) else None
            if actual != expected:
                problems.append(f"{type(obj).__name__}.{name}{actual} is not {name}{expected}")
    return problems


def test_the_pipeline_and_the_test_stub_are_answer_services(tmp_path):
    settings = make_settings(tmp_path)
    pipeline = RagPipeline(settings, embedder=None)  # nothing is loaded until used
    assert protocol_mismatches(AnswerService, pipeline) == []
    assert protocol_mismatches(AnswerService, StubPipeline(settings)) == []
    assert protocol_mismatches(AnswerService, object()) != []  # the check can fail


# ---------------------------------------------------------------- chat


@pytest.fixture
def stub(tmp_path):
    return StubPipeline(make_settings(tmp_path, max_question_chars=200), delay_s=0)


@pytest.fixture
def chat(stub):
    return ChatHandler(stub, stub.settings)


def test_submit_adds_the_question_and_a_waiting_answer(chat):
    history, box, pending = chat.submit("What is <distillation>?", [])
    assert box == "" and pending == "What is <distillation>?"
    assert history[0] == {"role": "user", "content": "What is &lt;distillation&gt;?"}
    assert history[1]["role"] == "assistant" and "Searching the documents" in history[1]["content"]


def test_a_bad_question_gets_its_reason_and_stays_in_the_box(chat):
    history, box, pending = chat.submit("   ", [])
    assert pending is None and box == "" and len(history) == 1 and "Please type a question" in history[0]["content"]
    long_question = "why " * 100
    history, box, pending = chat.submit(long_question, [])
    assert pending is None and box == long_question and "too long" in history[-1]["content"]


def test_respond_streams_sources_tokens_then_the_cited_answer(chat, stub):
    history, _, pending = chat.submit("What is distillation?", [])
    updates = list(chat.respond(history, pending, [], 3.0, 64.0))
    assert "sr-status" in updates[0].sources and "sr-card" not in updates[0].sources  # searching
    assert "sr-status-preview" in updates[1].sources and "Stub document" in updates[1].sources
    streamed = updates[2:-1]
    assert len(streamed) == 3 and all(u.sources is None and u.pending == pending for u in streamed)
    assert "Stub answer" in streamed[1].history[-1]["content"] and "[1]" not in streamed[1].history[-1]["content"]
    final = updates[-1]
    assert final.pending is None and final.questions == ["What is distillation?"]
    assert 'class="sr-cite"' in final.history[-1]["content"] and "sr-status-done" in final.sources
    assert stub.calls == [("What is distillation?", (), 3, 64)]

    history, _, pending = chat.submit("Why does it help?", final.history)
    final = list(chat.respond(history, pending, final.questions, 5, 200))[-1]
    assert stub.calls[-1] == ("Why does it help?", ("What is distillation?",), 5, 200)
    assert final.questions == ["What is distillation?", "Why does it help?"] and len(final.history) == 4
    assert 'id="src-2-1"' in final.sources  # the second turn's source cards


def test_respond_without_a_pending_question_changes_nothing(chat, stub):
    history = [{"role": "assistant", "content": "earlier"}]
    updates = list(chat.respond(history, None, ["q"], 5, 200))
    assert len(updates) == 1 and updates[0].history == history and updates[0].sources is None
    assert updates[0].pending is None and updates[0].questions == ["q"] and stub.calls == []


def test_a_question_refused_by_the_pipeline_gets_its_reason(chat):
    final = list(chat.respond([], "why " * 100, [], 5, 200))[-1]
    assert "too long" in final.history[-1]["content"] and final.pending is None
    assert "sr-status-idle" in final.sources and final.questions == []


class FailingStub(StubPipeline):
    def __init__(self, settings, error: Exception):
        super().__init__(settings, delay_s=0)
        self.error = error

    def stream(self, question, history=(), top_k=None, max_answer_tokens=None, documents=None):
        yield from super().stream(question, history, top_k, max_answer_tokens, documents)
        raise self.error


@pytest.mark.parametrize("error, shown", [
    (IndexStoreError("index v7 is damaged; re-run survey-rag ingest"), "index v7 is damaged; re-run survey-rag ingest"),
    (RuntimeError("secret internals"), "RuntimeError; see the server log for details"),
])
def test_a_failed_answer_keeps_the_page_usable(tmp_path, error, shown):
    chat = ChatHandler(FailingStub(make_settings(tmp_path), error), make_settings(tmp_path))
    final = list(chat.respond([], "What is distillation?", [], 5, 200))[-1]
    assert final.history[-1]["content"].count(shown) == 1 and "secret internals" not in final.history[-1]["content"]
    assert final.pending is None and final.sources is None and final.questions == []


def test_clear_starts_a_new_conversation(chat):
    history, sources, pending, questions, box = chat.clear()
    assert history == [] and pending is None and questions == [] and box == "" and "sr-status-idle" in sources


# ---------------------------------------------------------------- documents

NOTES = "# Tern migration notes\n\nArctic terns fly from the Arctic to the Antarctic and back every year.\n"


def test_documents_of_the_stub(stub):
    docs = DocumentsHandler(stub, stub.settings)
    view = docs.view("hello")
    assert view.status == "hello" and view.rows[0][0] == "Stub document"
    assert view.choices == [("Stub document — doc.txt", "/stub/doc.txt")]
    assert "`stub-model`" in view.info and "1 documents, 1 passages" in view.info
    assert "Choose one or more" in docs.upload([]).status
    assert "Pick a document" in docs.remove(None).status


@pytest.fixture
def real_docs(tmp_path, small_embedder, small_generator):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = make_settings(tmp_path / "data", embedding_model="all-minilm-l6-v2", corpus_dir=corpus,
                             max_upload_mb=1.0)
    return DocumentsHandler(RagPipeline(settings, small_embedder, small_generator), settings)


def test_upload_update_and_remove_a_document(tmp_path, real_docs):
    view = real_docs.view()
    assert view.rows == EMPTY_TABLE and view.choices == [] and "0 documents, 0 passages" in view.info

    (tmp_path / "terns.md").write_text(NOTES, encoding="utf-8")
    (tmp_path / "tool.exe").write_bytes(b"MZ\x00\x00")
    view = real_docs.upload([tmp_path / "terns.md", tmp_path / "tool.exe"])
    assert "✓ **Tern migration notes** (en, 1 chunks): added." in view.status, view.status
    assert "✗ Rejected `tool.exe: unsupported file type '.exe'" in view.status
    assert "documents: 1 added" in view.status
    assert [row[0] for row in view.rows] == ["Tern migration notes"] and "1 documents" in view.info

    assert "already indexed, unchanged" in real_docs.upload([tmp_path / "terns.md"]).status
    (tmp_path / "terns.md").write_text(NOTES + "\nCommon terns nest on beaches.\n", encoding="utf-8")
    assert ": updated." in real_docs.upload([tmp_path / "terns.md"]).status

    source = view.choices[0][1]
    view = real_docs.remove(source)
    assert view.status == "Removed **Tern migration notes** from the index." and view.rows == EMPTY_TABLE
    assert not (real_docs.settings.data_dir / "uploads" / "terns.md").exists()
    assert "was not in the index" in real_docs.remove(source).status


def test_an_ingest_elsewhere_is_reported_and_changes_nothing(tmp_path, real_docs):
    (tmp_path / "terns.md").write_text(NOTES, encoding="utf-8")
    with IngestLock(real_docs.settings.index_dir):
        assert real_docs.upload([tmp_path / "terns.md"]).status == LOCKED_MESSAGE
        assert real_docs.reingest_corpus().status == LOCKED_MESSAGE
    assert real_docs.view().rows == EMPTY_TABLE


def test_reingest_the_corpus_folder(real_docs):
    (real_docs.settings.corpus_dir / "terns.md").write_text(NOTES, encoding="utf-8")
    (real_docs.settings.corpus_dir / "empty.txt").write_bytes(b"")
    stages = []
    view = real_docs.reingest_corpus(lambda stage, done, total: stages.append(stage))
    assert view.status.startswith(f"Re-ingested `{real_docs.settings.corpus_dir}`: documents: 1 added")
    assert "✗ Failed `" in view.status and "empty.txt: empty file`" in view.status
    assert [row[0] for row in view.rows] == ["Tern migration notes"] and {"scan", "write"} <= set(stages)
