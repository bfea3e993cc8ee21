"""``survey-rag serve``'s API with the official ``openai`` client, against the real server on 127.0.0.1.

A small index (all-MiniLM) over three short documents; answers come from SmolLM2-135M, in
process for the functional tests, and through llama-cpp-python's own server for the load test.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

import httpx
import openai
import pytest
import uvicorn

from conftest import make_settings
from llm_servers import llama_cpp_server
from core.models import resolve_model
from ingest.pipeline import ingest_paths
from rag.pipeline import RagPipeline
from rag.llm.factory import load_generator
from ui.api.app import create_app
from ui.api.gate import AnswerGate
from ui_fixtures import TEST_OUTPUT, ZORBLAX_TEXT, free_port

pytestmark = pytest.mark.timeout(600)

SMALL_LLM = "smollm2-135m-instruct-q4_1"
KEY = "test-key-1"
DISTILLATION_DESCRIPTION = "Lecture notes of a machine learning course"
DOCS = {
    "distillation.txt": (
        "Knowledge distillation.\n"
        "Distillation trains a small student model to imitate a large teacher model. "
        "The distilled model has far fewer parameters and answers much faster. "
        "Fine-tuning alone keeps the same number of parameters as the base model.\n"
    ),
    "scaling.txt": (
        "Scaling laws.\n"
        "Scaling laws let researchers predict the loss of a large model from small runs. "
        "Chinchilla showed that model size and training tokens should grow together.\n"
    ),
    "lora.txt": (
        "Low-rank adaptation.\n"
        "LoRA freezes the pretrained weights and trains small low-rank matrices added to each layer. "
        "LoRA cuts the memory needed for fine-tuning because far fewer parameters are trained.\n"
    ),
}
QUESTIONS = ["What does distillation give you?", "What do scaling laws predict?", "What does LoRA train?"]


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory, small_embedder):
    corpus = tmp_path_factory.mktemp("api-corpus")
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "manifest.json").write_text(json.dumps({"distillation.txt": {"source": DISTILLATION_DESCRIPTION}}),
                                          encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("api-data"), embedding_model="all-minilm-l6-v2",
                             llm_model=SMALL_LLM, refusal_threshold=0.3, support_threshold=0.3,
                             translation_floor=-1.0,  # off: English-only, any translation is far from its source
                             max_answer_tokens=64, max_upload_mb=1.0, api_keys=KEY)
    assert ingest_paths([corpus], settings, embedder=small_embedder).ok
    return settings


@contextmanager
def serving(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def api(index_settings, small_embedder, small_generator) -> Iterator[str]:
    pipeline = RagPipeline(index_settings, small_embedder, small_generator)
    with serving(create_app(pipeline, index_settings)) as url:
        yield url


@pytest.fixture
def client(api) -> openai.OpenAI:
    return openai.OpenAI(base_url=api + "/v1", api_key=KEY, max_retries=0, timeout=120)


def ask(client, *messages: str, **extra):
    turns = [{"role": "user", "content": m} for m in messages]
    return client.chat.completions.create(model="survey-rag", messages=turns, extra_body=extra or None)


def check_citations(text: str, citations: list[dict]) -> None:
    assert citations, text
    for c in citations:
        assert f"[{c['n']}]" in text
        assert c["sentence"] and c["sentence"] in c["passage"], c
        assert c["title"] and c["document"] and c["language"] == "en"


def test_non_streaming_answer_is_cited(client):
    reply = ask(client, "What does distillation give you?")
    message = reply.choices[0].message
    assert reply.model == "survey-rag" and reply.choices[0].finish_reason == "stop"
    assert message.model_extra["refused"] is False
    check_citations(message.content, message.model_extra["citations"])
    assert any(c["title"] == "Knowledge distillation." for c in message.model_extra["citations"])


def test_streamed_answer_is_the_cited_answer(client):
    stream = client.chat.completions.create(
        model="survey-rag", stream=True, messages=[{"role": "user", "content": "What does LoRA train?"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1].choices[0]
    assert final.finish_reason == "stop"
    assert sum(1 for c in chunks if c.choices[0].delta.content) >= 1
    assert final.delta.model_extra["refused"] is False
    check_citations(text, final.delta.model_extra["citations"])
    assert any("LoRA" in c["passage"] for c in final.delta.model_extra["citations"])


def test_follow_up_through_messages_searches_with_the_earlier_question(client):
    reply = ask(client, "What does LoRA train?", "And what about distillation?")
    citations = reply.choices[0].message.model_extra["citations"]
    check_citations(reply.choices[0].message.content, citations)
    assert {c["title"] for c in citations} & {"Knowledge distillation.", "Low-rank adaptation."}


def test_unanswerable_question_is_refused(client):
    reply = ask(client, "Which football club won the 1998 Brazilian championship?")
    message = reply.choices[0].message
    assert message.model_extra["refused"] is True
    assert message.model_extra["citations"] == []
    assert message.content


def test_documents_scope_the_answer_and_top_k_is_accepted(client):
    question = "What does LoRA train?"
    everywhere = ask(client, question).choices[0].message.model_extra["citations"]
    assert "Low-rank adaptation." in {c["title"] for c in everywhere}
    scoped = ask(client, question, top_k=2, documents=["scaling.txt"]).choices[0].message
    # The LoRA document is out of scope: refused (the scaling notes do not say), or cited from them alone.
    assert scoped.model_extra["refused"] or {c["title"] for c in scoped.model_extra["citations"]} == {"Scaling laws."}


def test_an_unknown_document_in_the_scope_is_a_clear_error(client):
    with pytest.raises(openai.BadRequestError) as raised:
        ask(client, "What does LoRA train?", documents=["nowhere.pdf"])
    assert raised.value.body["code"] == "unknown_document" and "'nowhere.pdf'" in raised.value.body["message"]


@pytest.mark.parametrize("body, status, code", [
    ({"model": "survey-rag", "messages": [{"role": "system", "content": "hi"}]}, 400, "no_user_message"),
    ({"model": "survey-rag", "messages": [{"role": "user", "content": "   "}]}, 400, "invalid_question"),
    ({"model": "survey-rag", "messages": [{"role": "user", "content": "why " * 25_000}]}, 400, "invalid_question"),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "What is LoRA?"}]}, 404, "model_not_found"),
    ({"model": "survey-rag", "messages": []}, 400, "invalid_messages"),
    ({"model": "survey-rag", "messages": [{"role": "user", "content": "What is LoRA?"}], "top_k": 0}, 400,
     "invalid_top_k"),
])
def test_bad_requests_get_openai_errors(client, api, body, status, code):
    extra = {k: v for k, v in body.items() if k not in ("model", "messages")}
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model=body["model"], messages=body["messages"], extra_body=extra or None)
    assert info.value.status_code == status
    error = info.value.body
    assert error["code"] == code and error["type"] and "\n" not in error["message"]
    if code == "invalid_question" and len(body["messages"][0]["content"]) > 2000:
        assert "too long" in error["message"]  # the chat page's and the CLI's words
    assert httpx.get(api + "/healthz").json()["status"] == "ok"  # still serving


def test_bad_json_huge_bodies_and_keys(api, client):
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    bad = httpx.post(api + "/v1/chat/completions", content=b'{"model": "survey-rag", "messages": [', headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    huge = httpx.post(api + "/v1/chat/completions", content=b"[" + b"1," * 600_000 + b"1]", headers=headers)
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "request_too_large"
    for auth, code in [(None, "missing_api_key"), ("Bearer nope", "invalid_api_key")]:
        response = httpx.get(api + "/v1/models", headers={"Authorization": auth} if auth else {})
        assert response.status_code == 401 and response.json()["error"]["code"] == code
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=api + "/v1", api_key="wrong", max_retries=0).models.list()
    assert [m.id for m in client.models.list()] == ["survey-rag"]
    assert ask(client, "What does distillation give you?").choices[0].message.model_extra["citations"]


def test_upload_ask_delete(api, client):
    headers = {"Authorization": f"Bearer {KEY}"}
    listed = httpx.get(api + "/v1/documents", headers=headers).json()["data"]
    assert {d["title"] for d in listed} >= {"Knowledge distillation.", "Low-rank adaptation."}
    # The manifest's description of a file is listed with it; a file it does not describe has none.
    assert {d["title"]: d["description"] for d in listed}["Knowledge distillation."] == DISTILLATION_DESCRIPTION
    assert {d["title"]: d["description"] for d in listed}["Low-rank adaptation."] == ""

    rejected = httpx.post(api + "/v1/documents", headers=headers, files={"file": ("notes.docx", b"PK\x03\x04")})
    assert rejected.status_code == 422 and "notes.docx" in rejected.json()["error"]["message"]

    added = httpx.post(api + "/v1/documents", headers=headers,
                       files={"file": ("../zorblax.md", ZORBLAX_TEXT.encode())}, timeout=120)
    assert added.status_code == 200, added.text
    doc = added.json()
    assert doc["status"] == "added" and doc["title"] == "Zorblax-7 training notes" and "/.." not in doc["source"]

    reply = ask(client, "Where was the Zorblax-7 model trained?")
    citations = reply.choices[0].message.model_extra["citations"]
    check_citations(reply.choices[0].message.content, citations)
    assert any(c["document"] == doc["id"] for c in citations)

    gone = httpx.delete(api + f"/v1/documents/{doc['id']}", headers=headers)
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert doc["id"] not in {d["id"] for d in httpx.get(api + "/v1/documents", headers=headers).json()["data"]}
    again = httpx.delete(api + f"/v1/documents/{doc['id']}", headers=headers)
    assert again.status_code == 404 and again.json()["error"]["code"] == "document_not_found"


def test_gate_lets_waiters_in_in_arrival_order():
    async def scenario() -> list[int]:
        gate, order = AnswerGate(1), []

        async def job(i: int) -> None:
            async with gate.slot():
                order.append(i)
                await asyncio.sleep(0.01)

        first = asyncio.create_task(job(0))
        await asyncio.sleep(0)
        rest = []
        for i in range(1, 6):
            rest.append(asyncio.create_task(job(i)))
            await asyncio.sleep(0)
        await asyncio.gather(first, *rest)
        assert gate.stats()["most_answering"] == 1 and gate.stats()["answered"] == 6
        return order

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4, 5]


# ---------------------------------------------------------------------------- load



@pytest.mark.slow
def test_load_16_clients_through_an_llm_server(index_settings, small_embedder, tmp_path):
    clients, per_client = 16, 3
    model = resolve_model(SMALL_LLM, index_settings)
    # No parallel slots in llama-cpp-python's server: one reply at a time; --interrupt_requests False makes
    # later requests wait instead of cutting the current reply.
    with llama_cpp_server(model, tmp_path / "llama-server.log", "--interrupt_requests", "False") as llm_url:
        settings = index_settings.replace(llm_url=llm_url, llm_timeout_s=300.0, api_keys="")
        generator = load_generator(settings)
        pipeline = RagPipeline(settings, small_embedder, generator)
        pipeline.warm_up()
        with serving(create_app(pipeline, settings)) as api:
            client = openai.OpenAI(base_url=api + "/v1", api_key="none", max_retries=0, timeout=600)

            def one_client(c: int) -> list[dict]:
                runs = []
                for q in range(per_client):
                    started = time.monotonic()
                    try:
                        stream = client.chat.completions.create(
                            model="survey-rag", stream=True,
                            messages=[{"role": "user", "content": QUESTIONS[(c + q) % len(QUESTIONS)]}])
                        chunks = list(stream)
                        final = chunks[-1].choices[0].delta.model_extra
                        text = "".join(ch.choices[0].delta.content or "" for ch in chunks)
                        runs.append({"start": started, "end": time.monotonic(), "error": None,
                                     "cited": bool(final["citations"]) and "[" in text})
                    except Exception as exc:  # counted, reported, and failed on below
                        runs.append({"start": started, "end": time.monotonic(), "error": repr(exc)})
                return runs

            began = time.monotonic()
            with ThreadPoolExecutor(clients) as pool:
                runs = [r for rs in pool.map(one_client, range(clients)) for r in rs]
            wall = time.monotonic() - began
            health = httpx.get(api + "/healthz").json()
        generator.close()

    latencies = sorted(r["end"] - r["start"] for r in runs)
    events = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs], key=lambda e: (e[0], e[1]))
    in_flight = most_in_flight = 0
    for _, step in events:
        in_flight += step
        most_in_flight = max(most_in_flight, in_flight)
    report = {
        "clients": clients, "questions_per_client": per_client, "requests": len(runs),
        "errors": [r["error"] for r in runs if r["error"]],
        "cited_answers": sum(1 for r in runs if r.get("cited")),
        "llm_backend": "llama-cpp-python server (SmolLM2-135M Q4_1, 1 thread; no parallel slots)",
        "answer_slots": health["slots"],
        "max_requests_in_flight": most_in_flight,
        "max_answers_being_written_at_once": health["most_answering"],
        "p50_latency_s": round(latencies[len(latencies) // 2], 2),
        "p95_latency_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2),
        "max_latency_s": round(latencies[-1], 2),
        "wall_s": round(wall, 1),
        "answers_per_minute": round(60 * len(runs) / wall, 1),
    }
    TEST_OUTPUT.mkdir(exist_ok=True)
    (TEST_OUTPUT / "api-load.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    assert report["errors"] == [] and len(runs) == clients * per_client
    assert health["most_answering"] > 1  # answers overlapped: the API does not serialise a server backend
    assert health["answering"] == 0 and health["waiting"] == 0
