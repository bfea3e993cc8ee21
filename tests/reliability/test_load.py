"""Scenario 3: concurrent chat clients while the corpus is re-ingested.

The chat page runs on 127.0.0.1 over a private copy of the corpus (ingested with the real default
embedder; the shared embedding cache makes that quick) and answers with the small LLM. K
``gradio_client`` clients each ask Q questions at once while another client re-ingests the corpus
folder, in which one document was edited and one added. Checked: no errors, every answer complete
(cited unless it is a refusal), waiting jobs are told their queue position, memory stays bounded,
and the re-ingest commits while the questions are answered.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time

import pytest

from ingest.pipeline import ingest_paths

from .conftest import CORPUS, FULL, iterations, make_settings, memory_mb, record

pytestmark = [pytest.mark.reliability, pytest.mark.slow, pytest.mark.timeout(3000)]

CLIENTS = iterations(8, 3)
QUESTIONS_EACH = iterations(5, 1)
ANSWER_TOKENS = 96
MEMORY_GROWTH_LIMIT_MB = 1500  # models are loaded before the load starts; this is headroom, not the models

QUESTIONS = [
    "디코더 전용 모델이 왜 주류가 되었나?",
    "Quand faut-il distiller un modèle ?",
    "LLM or fine-tuned model for NER?",
    "프롬프트 엔지니어링에서 퓨샷 예시는 어떤 역할을 하나요?",
    "Qu'est-ce que le réglage par instructions ?",
    "미세 조정과 증류의 차이는 무엇인가요?",
    "Pourquoi les grands modèles généralisent-ils mieux ?",
    "What are the risks of using LLMs in production?",
]
ADDED_DOC = (
    "# Veltrano-9 training notes\n\n"
    "The Veltrano-9 model was trained on 42 lunar datasets at the Tycho crater observatory. "
    "Its training took eleven days and used three adapters.\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, small_generator):
    from rag.pipeline import RagPipeline
    from ui.app import build_app, launch

    corpus = tmp_path_factory.mktemp("load-corpus") / "corpus"
    shutil.copytree(CORPUS, corpus)
    for path in corpus.iterdir():
        path.chmod(0o644)
    settings = make_settings(tmp_path_factory.mktemp("load-data"), host="127.0.0.1", port=free_port(),
                             corpus_dir=corpus)
    assert ingest_paths([corpus], settings, embedder=embedder).ok
    pipeline = RagPipeline(settings, embedder, small_generator)
    app = build_app(pipeline, settings)
    url = launch(app, settings, block=False)
    yield url.rstrip("/") + "/", settings, pipeline
    app.close()


class MemoryWatch:
    """Samples this process's RSS (the server, its models and the test) every half second."""

    def __init__(self):
        self.samples: list[float] = []
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(memory_mb()[0])
            self.times.append(time.monotonic())
            self._stop.wait(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_concurrent_clients_during_reingest(server):
    from gradio_client import Client
    from gradio_client.utils import Status

    url, settings, pipeline = server
    version_before = pipeline.retriever().index.version
    docs_before = len(pipeline.retriever().index.documents)
    # The corpus changes: one document edited, one added; the re-ingest runs during the questions.
    edited = settings.corpus_dir / "harnessing-llms-paper-review.ko-en.txt"
    # Text no cache has seen (the run's tag), so the re-ingest really embeds while the questions run.
    tag = f"run {time.time_ns()}"
    edited.write_text(edited.read_text(encoding="utf-8") + f"\nAdded in the load test ({tag}): answers stay cited.\n",
                      encoding="utf-8")
    (settings.corpus_dir / "veltrano-9-notes.md").write_text(ADDED_DOC + f"These notes were written in {tag}.\n",
                                                             encoding="utf-8")

    errors: list[str] = []
    results: list[dict] = []
    ingest: dict = {}
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def ask_all(worker: int) -> None:
        client = Client(url, verbose=False, download_files=False)
        start.wait()
        for q in range(QUESTIONS_EACH):
            question = QUESTIONS[(worker * QUESTIONS_EACH + q) % len(QUESTIONS)]
            try:
                t0 = time.monotonic()
                history, box = client.predict(question, [], api_name="/submit")
                job = client.submit(history, settings.top_k, ANSWER_TOKENS, api_name="/respond")
                ranks, sizes = [], []
                while not job.done():
                    status = job.status()
                    if status.code == Status.IN_QUEUE and status.rank is not None:
                        ranks.append(status.rank)
                        sizes.append(status.queue_size or 0)
                    time.sleep(0.1)
                history, sources = job.result(timeout=1800)
                answer = text_of(history[-1])
                with lock:
                    results.append({"worker": worker, "question": question, "seconds": time.monotonic() - t0,
                                    "finished": time.monotonic(),
                                    "max_rank": max(ranks, default=None), "max_queue": max(sizes, default=None),
                                    "answer": answer, "sources": sources})
            except Exception as exc:  # noqa: BLE001 - every error is a finding
                with lock:
                    errors.append(f"worker {worker}, {question!r}: {type(exc).__name__}: {exc}")

    def reingest() -> None:
        client = Client(url, verbose=False, download_files=False)
        start.wait()
        time.sleep(2)  # the questions are queued first
        t0 = time.monotonic()
        ingest["started"] = t0
        try:
            status, table, _, info = client.predict(api_name="/reingest_corpus")
            ingest.update(status=status, seconds=time.monotonic() - t0, rows=len(table["data"]),
                          finished=time.monotonic())
        except Exception as exc:  # noqa: BLE001
            errors.append(f"re-ingest: {type(exc).__name__}: {exc}")

    rss_before = memory_mb()[0]
    started = time.monotonic()
    with MemoryWatch() as memory:
        threads = [threading.Thread(target=ask_all, args=(w,)) for w in range(CLIENTS)]
        threads.append(threading.Thread(target=reingest))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=2400)
    wall = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), "clients still running after 40 minutes"

    assert errors == []
    assert len(results) == CLIENTS * QUESTIONS_EACH
    for r in results:
        answer = r["answer"]
        assert answer.strip() and "Sorry, the answer failed" not in answer, r
        assert "▌" not in answer, r  # complete, not a streaming snapshot
        assert 'class="sr-cite"' in answer or 'class="sr-refusal"' in answer, r
        assert "sr-status-done" in r["sources"] or "sr-refusal" in answer, r["sources"][:300]
    # Waiting jobs were told their position (only one answer is written at a time; rank 0 = next).
    waited = [r for r in results if r["max_rank"] is not None]
    if CLIENTS >= 3:
        assert max((r["max_rank"] for r in waited), default=-1) >= 1, [(r["worker"], r["max_rank"]) for r in results]

    # The re-ingest committed during the load, and the page answers from the new version.
    assert ingest, "the re-ingest did not report"
    assert "✗" not in ingest["status"] and "1 added, 1 changed" in ingest["status"], ingest["status"]
    embedded = int(re.search(r"\((\d+) embedded\)", ingest["status"]).group(1))
    assert embedded >= 2, ingest["status"]  # the edited passage and the added document were embedded
    index = pipeline.retriever().index
    assert index.version != version_before and len(index.documents) == docs_before + 1
    # It ran during the load: it started before the last answer was done.
    assert ingest["started"] < max(r["finished"] for r in results)
    answered_after_commit = sum(r["finished"] > ingest["finished"] for r in results)
    # A question about the added document is answered from it.
    client = Client(url, verbose=False, download_files=False)
    history, _ = client.predict("How many lunar datasets was Veltrano-9 trained on?", [], api_name="/submit")
    history, sources = client.predict(history, settings.top_k, ANSWER_TOKENS, api_name="/respond")
    assert "Veltrano-9 training notes" in sources, sources[:500]

    peak = max(memory.samples, default=rss_before)
    assert peak - rss_before < MEMORY_GROWTH_LIMIT_MB, (rss_before, peak)

    def rss_at(moment: float) -> float:  # the last sample taken before ``moment``
        return next((m for t, m in zip(reversed(memory.times), reversed(memory.samples)) if t <= moment), rss_before)

    # Where the growth comes from: the re-ingest (once) or the answers (it would grow with them).
    finished = sorted(r["finished"] for r in results)
    quarter = finished[len(finished) // 4]
    seconds = sorted(r["seconds"] for r in results)
    per_question = {}
    for r in results:
        q = per_question.setdefault(r["question"], {"asked": 0, "cited": 0, "refused": 0})
        q["asked"] += 1
        q["cited"] += 'class="sr-cite"' in r["answer"]
        q["refused"] += 'class="sr-refusal"' in r["answer"]
    record(
        "load",
        clients=CLIENTS,
        questions_each=QUESTIONS_EACH,
        full_counts=FULL,
        answers=len(results),
        errors=len(errors),
        refusals=sum('class="sr-refusal"' in r["answer"] for r in results),
        cited=sum('class="sr-cite"' in r["answer"] for r in results),
        wall_s=round(wall, 1),
        answer_s_median=round(seconds[len(seconds) // 2], 1),
        answer_s_max=round(seconds[-1], 1),
        jobs_shown_a_queue_position=len(waited),
        highest_queue_position=max((r["max_rank"] for r in waited), default=0),
        reingest_s=round(ingest["seconds"], 1),
        reingest_embedded_chunks=embedded,
        reingest_started_after_s=round(ingest["started"] - started, 1),
        answers_finished_after_the_reingest_committed=answered_after_commit,
        rss_mb_before=round(rss_before),
        rss_mb_when_reingest_committed=round(rss_at(ingest["finished"])),
        rss_mb_after_a_quarter_of_the_answers=round(rss_at(quarter)),
        rss_mb_after_the_last_answer=round(rss_at(finished[-1])),
        rss_mb_peak=round(peak),
        per_question=per_question,
        rss_mb_after=round(memory_mb()[0]),
    )
