"""Message actions over the test stub and a real conversations file: regenerate, edit and resend,
thumbs up/down with a comment, and ``survey-rag feedback export`` in the evaluation set's format."""

from __future__ import annotations

import json

import pytest

from conftest import make_settings
from rag.evaluate import load_items
from ui.handlers import ChatHandler
from ui_fixtures import StubPipeline


@pytest.fixture
def chat(tmp_path):
    stub = StubPipeline(make_settings(tmp_path), delay_s=0)
    return ChatHandler(stub, stub.settings)


def ask(chat, question, history=(), questions=(), conversation=None):
    history, _, pending = chat.submit(question, list(history))
    final = list(chat.respond(history, pending, list(questions), 5, 200, conversation))[-1]
    return final.history, final.questions, final.conversation


def test_regenerate_answers_the_last_question_again_and_replaces_its_saved_turn(chat):
    history, questions, cid = ask(chat, "What is distillation?")
    history, questions, cid = ask(chat, "Why does it help?", history, questions, cid)
    history, pending, before = chat.regenerate(history, questions, cid)
    assert pending == "Why does it help?" and before == ["What is distillation?"] and len(history) == 4
    assert [t.question for t in chat.store.turns(cid, "")] == ["What is distillation?"]
    final = list(chat.respond(history, pending, before, 5, 200, cid))[-1]
    assert final.questions == questions and len(final.history) == 4
    assert [t.question for t in chat.store.turns(cid, "")] == ["What is distillation?", "Why does it help?"]
    assert chat.service.calls[-1][0] == "Why does it help?" and len(chat.service.calls) == 3


def test_editing_a_question_forgets_the_conversation_from_there_and_asks_the_new_one(chat):
    history, questions, cid = ask(chat, "What is distillation?")
    history, _, _ = chat.submit("   ", history)  # a notice between the turns is not a turn
    history, questions, cid = ask(chat, "Why does it help?", history, questions, cid)
    edited_at = next(i for i, m in enumerate(history) if m["content"] == "Why does it help?")
    history, box, pending, kept = chat.edit(history, questions, cid, edited_at, "Who invented it?")
    assert pending == "Who invented it?" and kept == ["What is distillation?"] and box == ""
    assert history[-2]["content"] == "Who invented it?" and len(history) == edited_at + 2
    assert [t.question for t in chat.store.turns(cid, "")] == ["What is distillation?"]


def test_a_rating_keeps_the_question_answer_citations_and_index_version_after_a_regeneration(chat):
    history, questions, cid = ask(chat, "What is distillation?")
    history, _, _ = chat.submit("   ", history)
    history, questions, cid = ask(chat, "Why does it help?", history, questions, cid)
    assert chat.rate(history, len(history) - 1, False, cid) == 2  # the second answer, past the notice
    assert chat.comment(cid, 2, "  cites the wrong passage ")
    chat.regenerate(history, questions, cid)  # the rated answer is gone from the conversation, not the rating
    (rating,) = chat.store.feedback()
    assert (rating.rating, rating.comment, rating.question, rating.index_version) == (
        -1, "cites the wrong passage", "Why does it help?", "stub-v1")
    assert rating.answer.citations and rating.answer.citations[0].hit.document.title == "Stub document"
    assert chat.rate(history, 1, True, cid) == 1
    assert [r.rating for r in chat.store.feedback()] == [-1, 1]
    assert chat.rate(history, 1, True, "someone-elses") == 0


def test_feedback_export_writes_dev_set_questions(chat, tmp_path):
    from survey_rag.cli import main

    history, questions, cid = ask(chat, "What is distillation?")
    history, questions, cid = ask(chat, "Why does it help?", history, questions, cid)
    chat.rate(history, 1, False, cid)
    chat.rate(history, 1, True, cid)  # rating an answer again replaces its rating
    chat.rate(history, 3, False, cid)
    chat.comment(cid, 2, "incomplete")
    out = tmp_path / "rated" / "feedback.jsonl"
    assert main(["feedback", "export", "--out", str(out), "--data-dir", str(chat.settings.data_dir)]) == 0
    up, down = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {"id", "lang", "question", "answerable", "gold", "kind", "rating", "comment", "answer"} <= set(up)
    assert up["answerable"] is True and up["gold"][0]["evidence"] and up["gold"][0]["doc"] == "doc.txt"
    assert (down["rating"], down["comment"], down["answerable"], down["gold"]) == (-1, "incomplete", False, [])
    items = load_items(out)  # the evaluation set's own reader takes them
    assert [i.question for i in items] == ["What is distillation?", "Why does it help?"]
