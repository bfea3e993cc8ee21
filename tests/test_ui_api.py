"""The chat page's API, driven with gradio_client against the app running on 127.0.0.1.

Uses the real default models (one answer takes 10-20 s on two cores), so only two questions
go to the model: one about the corpus and one about a freshly uploaded document.
"""

from __future__ import annotations

import pytest

from ui_fixtures import ZORBLAX_TEXT, ZORBLAX_TITLE, StubPipeline, close_server, free_port, ui_server


@pytest.fixture(scope="session")
def server(request, tmp_path_factory, corpus_settings, embedder, generator):
    request.addfinalizer(close_server)
    return ui_server(tmp_path_factory, corpus_settings, embedder, generator)


@pytest.fixture
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False, download_files=False)


def text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def ask(client, question: str):
    """Submit a question and stream its answer; returns every streamed output and the final one."""
    history, box = client.predict(question, [], api_name="/submit")
    assert box == ""
    job = client.submit(history, 5, 200, api_name="/respond")
    final = job.result(timeout=300)
    return job.outputs(), final


def documents(client) -> list[list]:
    _, table, _, _ = client.predict(api_name="/documents")
    return table["data"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_question_gets_a_streamed_cited_answer(client, server):
    outputs, (history, sources) = ask(client, "LLM or fine-tuned model for NER?")

    # Streamed: the sources preview came before the first token, then several partial answers.
    def when(predicate):
        return next((i for i, out in enumerate(outputs) if predicate(out)), None)

    preview = when(lambda out: isinstance(out[1], str) and "sr-status-preview" in out[1] and "sr-card" in out[1])
    first_token = when(lambda out: out[0] and "▌" in text_of(out[0][-1]))
    assert preview is not None and first_token is not None and preview < first_token, [str(o)[:200] for o in outputs]
    assert sum(1 for out in outputs if out[0] and "▌" in text_of(out[0][-1])) >= 3

    answer = text_of(history[-1])
    assert history[-2]["role"] == "user" and "NER" in text_of(history[-2])
    assert 'class="sr-cite"' in answer and "[1]" in answer, answer
    titles = [row[0] for row in documents(client)]
    assert "sr-status-done" in sources and any(t in sources for t in titles), sources[:500]
    assert 'id="src-1-' in sources and "<mark>" in sources and "support " in sources


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_empty_and_overlong_questions_get_a_friendly_message(client, server):
    history, box = client.predict("   ", [], api_name="/submit")
    assert "Please type a question" in text_of(history[-1]) and box == ""
    history, sources = client.predict(history, 5, 200, api_name="/respond")  # nothing pending: no error
    long_question = "why " * 1000
    history, box = client.predict(long_question, [], api_name="/submit")
    assert "too long" in text_of(history[-1]) and box == long_question  # kept so it can be shortened


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bad_uploads_are_rejected_with_their_reason(client, server, tmp_path):
    from gradio_client import handle_file

    before = documents(client)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "tool.exe").write_bytes(b"MZ\x90\x00" * 64)
    status, table, _, _, _ = client.predict([handle_file(str(tmp_path / "empty.txt")),
                                             handle_file(str(tmp_path / "tool.exe"))], api_name="/upload")
    assert "empty.txt: empty file" in status
    assert "tool.exe: unsupported file type '.exe'" in status
    assert table["data"] == before
    uploads = server.settings.data_dir / "uploads"
    assert not uploads.exists() or not [p for p in uploads.iterdir() if not p.name.startswith(".")]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_uploaded_document_becomes_answerable_and_removable(client, server, tmp_path):
    from gradio_client import handle_file

    before = len(documents(client))
    path = tmp_path / "zorblax notes.md"
    path.write_text(ZORBLAX_TEXT, encoding="utf-8")
    status, table, _, info, _ = client.predict([handle_file(str(path))], api_name="/upload")
    assert "✓" in status and ZORBLAX_TITLE in status, status
    assert len(table["data"]) == before + 1 and any(row[0] == ZORBLAX_TITLE for row in table["data"])
    stored = server.settings.data_dir / "uploads" / "zorblax notes.md"
    assert stored.is_file()

    _, (history, sources) = ask(client, "How many lunar datasets was the Zorblax-7 model trained on?")
    answer = text_of(history[-1])
    assert "12" in answer and "sr-refusal" not in answer, answer
    assert ZORBLAX_TITLE in sources

    status, table, _, _ = client.predict(str(stored.resolve()), api_name="/remove")
    assert "Removed" in status and len(table["data"]) == before
    assert not stored.exists()


@pytest.mark.timeout(120)
def test_one_answer_at_a_time_and_the_queue_position_is_reported(tmp_path):
    """No models: a stub pipeline that takes 1.5 s per answer, two clients asking at once."""
    import time

    from gradio_client import Client
    from gradio_client.utils import Status

    from conftest import make_settings
    from ui.app import build_app, launch

    settings = make_settings(tmp_path, port=free_port())
    app = build_app(StubPipeline(settings), settings)
    url = launch(app, settings, block=False)
    try:
        clients = [Client(url, verbose=False, download_files=False) for _ in range(2)]
        histories = [c.predict(f"question {i}?", [], api_name="/submit")[0] for i, c in enumerate(clients)]
        started = time.monotonic()
        jobs = [c.submit(h, 5, 200, api_name="/respond") for c, h in zip(clients, histories)]
        ranks = []
        while not all(j.done() for j in jobs):
            for j in jobs:
                status = j.status()
                if status.code == Status.IN_QUEUE and status.rank is not None:
                    ranks.append((status.rank, status.queue_size))
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        finals = [j.result() for j in jobs]
        assert elapsed >= 2 * 1.5 * 0.9  # answered one after the other, not together
        # Every position shown was a real place in a queue of at most the two jobs (both can be seen
        # queued before the first starts: rank 1 of 2), and while the first was answered the other
        # was told it is next (rank 0 of 1; the page shows it as "1/1").
        assert ranks and all(0 <= rank < size <= 2 for rank, size in ranks), ranks
        assert (0, 1) in ranks, ranks
        for history, sources in finals:
            assert "[1]</a>" in text_of(history[-1]) and "Stub document" in sources
    finally:
        app.close()


@pytest.mark.timeout(120)
def test_follow_ups_get_the_earlier_questions_and_the_settings(tmp_path):
    from gradio_client import Client

    from conftest import make_settings
    from ui.app import build_app, launch

    settings = make_settings(tmp_path, port=free_port())
    stub = StubPipeline(settings, delay_s=0.1)
    app = build_app(stub, settings)
    url = launch(app, settings, block=False)
    try:
        client = Client(url, verbose=False, download_files=False)
        history = []
        for question in ("What is distillation?", "Why does it help?"):
            history, _ = client.predict(question, history, api_name="/submit")
            history, _ = client.predict(history, 3, 64, api_name="/respond")
        assert len(history) == 4
        client.predict(api_name="/clear")
        history, _ = client.predict("A new topic?", [], api_name="/submit")
        client.predict(history, 5, 200, api_name="/respond")
        assert stub.calls == [
            ("What is distillation?", (), 3, 64),
            ("Why does it help?", ("What is distillation?",), 3, 64),
            ("A new topic?", (), 5, 200),
        ]
    finally:
        app.close()
