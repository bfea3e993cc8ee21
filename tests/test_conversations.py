"""Saved conversations: the SQLite store, the export, the sidebar handler, and a kill mid-answer.

The store and handlers run over the test stub (tests/ui_fixtures.py); the crash test runs the
chat page over the stub as its own process (tests/ui_stub_app.py), SIGKILLs it while it
streams an answer, and starts it again on the same data folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import make_settings
from ui.conversations import ConversationStore, answer_from_record, answer_record
from ui.export import conversation_markdown
from ui.handlers import ChatHandler, ConversationsHandler
from ui_fixtures import REPO, StubPipeline, free_port


@pytest.fixture
def stub(tmp_path):
    return StubPipeline(make_settings(tmp_path), delay_s=0)


def answered(stub, question: str):
    return [e for e in stub.stream(question)][-1].answer


def test_an_answer_survives_the_round_trip_through_json(stub):
    answer = answered(stub, "What is distillation?")
    again = answer_from_record(json.loads(json.dumps(answer_record(answer))))
    assert again == answer and again.citations[0].hit.chunk.sentences == answer.citations[0].hit.chunk.sentences


def test_store_lists_newest_first_per_user_renames_and_deletes(tmp_path, stub):
    store = ConversationStore(tmp_path / "c.sqlite")
    first = store.create("ann")
    store.add_turn(first, "ann", answered(stub, "First question about distillation?"))
    second = store.create("ann")
    store.add_turn(second, "ann", answered(stub, "Second one?"))
    other = store.create("bob")
    assert [c.title for c in store.list("ann")] == ["Second one?", "First question about distillation?"]
    assert [c.id for c in store.list("bob")] == [other]
    store.add_turn(first, "ann", answered(stub, "A follow-up?"))
    assert [(c.id, c.turns) for c in store.list("ann")] == [(first, 2), (second, 1)]  # changed last: on top
    assert store.list("ann")[0].title == "First question about distillation?"  # the first question names it

    assert store.turns(first, "bob") == [] and not store.rename(first, "bob", "x") and not store.delete(first, "bob")
    with pytest.raises(KeyError):
        store.add_turn(first, "bob", answered(stub, "Not yours?"))
    assert len(store.turns(first, "ann")) == 2  # nothing written by the refused add

    assert store.rename(first, "ann", "  Distillation\nnotes ") and store.title(first, "ann") == "Distillation notes"
    assert store.delete(second, "ann") and [c.id for c in store.list("ann")] == [first]
    assert [t.question for t in ConversationStore(tmp_path / "c.sqlite").turns(first, "ann")] == [
        "First question about distillation?", "A follow-up?"]  # a new process sees the same


def test_markdown_export_has_the_answer_markers_and_numbered_sources(tmp_path, stub):
    store = ConversationStore(tmp_path / "c.sqlite")
    cid = store.create("")
    store.add_turn(cid, "", answered(stub, "What is distillation?"), scope=("Stub document",))
    md = conversation_markdown(store.title(cid, ""), store.turns(cid, ""))
    assert md.startswith("# What is distillation?\n") and "## 1. What is distillation?" in md
    assert "Stub answer. [1]" in md and "Documents: Stub document" in md
    assert '1. **Stub document**: "Stub passages exist so the page can be tested without models."' in md


def test_answers_are_saved_and_reopened_with_their_sources(stub):
    chat = ChatHandler(stub, stub.settings)
    saved = ConversationsHandler(chat.store, "stub-model")
    history, _, pending = chat.submit("What is <distillation>?", [])
    final = list(chat.respond(history, pending, [], 5, 200, None, "ann"))[-1]
    assert final.conversation and saved.choices("ann") == [("What is <distillation>?", final.conversation)]
    history, _, pending = chat.submit("Why?", final.history)
    second = list(chat.respond(history, pending, final.questions, 5, 200, final.conversation, "ann"))[-1]
    assert second.conversation == final.conversation

    view = saved.open(final.conversation, "ann")
    assert view.history == second.history and view.questions == ["What is <distillation>?", "Why?"]
    assert view.sources == second.sources and 'id="src-2-1"' in view.sources
    assert saved.open(final.conversation, "bob").history == [] and saved.choices("bob") == []
    # An answer for another user's conversation starts a new one for this user.
    mine = list(chat.respond(*chat.submit("Mine?", [])[::2], [], 5, 200, final.conversation, "bob"))[-1]
    assert mine.conversation != final.conversation and saved.latest("bob") == mine.conversation
    assert saved.export(final.conversation, "bob", "md", stub.settings.data_dir) is None


def _start(data_dir, port, delay) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "ui_stub_app.py"), str(data_dir), str(port),
                             str(delay)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    for line in proc.stdout:
        if line.startswith("READY"):
            return proc
    raise AssertionError(f"the app did not start (exit {proc.wait()})")


@pytest.mark.timeout(180)
def test_a_kill_mid_answer_keeps_the_earlier_conversations(tmp_path):
    from gradio_client import Client

    port = free_port()
    proc = _start(tmp_path, port, 3.0)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        history, _ = client.predict("What is distillation?", [], api_name="/submit")
        history, _ = client.predict(history, 5, 200, api_name="/respond")  # answered and saved
        history, _ = client.predict("And quantisation?", history, api_name="/submit")
        job = client.submit(history, 5, 200, api_name="/respond")
        deadline = time.monotonic() + 60
        while not any("Stub" in str(out) for out in job.outputs()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("Stub" in str(out) for out in job.outputs())  # streaming the second answer
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()

    store = ConversationStore(tmp_path / "conversations.sqlite")
    (only,) = store.list("")
    assert only.title == "What is distillation?" and only.turns == 1
    (turn,) = store.turns(only.id, "")
    assert turn.answer.text == "Stub answer. [1]" and turn.answer.citations[0].hit.document.title == "Stub document"

    proc = _start(tmp_path, port, 0.1)  # the app starts again on the same data folder and keeps answering
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        history, _ = client.predict("A new question?", [], api_name="/submit")
        client.predict(history, 5, 200, api_name="/respond")
        assert [c.turns for c in store.list("")] == [1, 1]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
