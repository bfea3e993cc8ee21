"""``run_bench``: every stage in turn, each timed and its peak memory taken, into one ``BenchResult``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from core.settings import Settings
from rag.pipeline import RagPipeline
from survey_rag.bench.answers import CountingGenerator, measure_answers
from survey_rag.bench.bandwidth import generation_speed, measure_bandwidth
from survey_rag.bench.embedding_speed import measure_embedding_speed
from survey_rag.bench.ingest_run import corpus_files, measure_ingest
from survey_rag.bench.machine import StageMeter, machine_info
from survey_rag.bench.model_load import load_models
from survey_rag.bench.plan import FULL_PLAN, QUICK_PLAN
from survey_rag.bench.questions import load_questions, pick_questions
from survey_rag.bench.result import BenchResult, MemoryUse, Retrieval
from survey_rag.bench.retrieval import measure_query_embedding, measure_retrieval
from survey_rag.bench.synthetic import measure_synthetic


def run_bench(settings: Settings, quick: bool = False) -> BenchResult:
    """Measure every stage (see docs/BENCHMARKS.md).

    Example:
        >>> result = run_bench(Settings.load(), quick=True)  # doctest: +SKIP
        >>> result.answers.first_token_s.p50  # doctest: +SKIP
        4.1
    """
    plan = QUICK_PLAN if quick else FULL_PLAN
    started = time.perf_counter()
    meter = StageMeter()
    machine = machine_info(settings)

    with meter.stage("copy bandwidth"):
        bandwidth = measure_bandwidth(plan.bandwidth_bytes, plan.bandwidth_reps, max(1, settings.n_threads))
    with meter.stage("model loads"):
        embedder, generator, loads = load_models(settings)

    with tempfile.TemporaryDirectory(prefix="survey-rag-bench-") as tmp:
        files = corpus_files(settings.corpus_dir)
        with meter.stage("ingest"):
            ingest, corpus = measure_ingest(files, Path(tmp), settings, embedder, quick)

        items = load_questions()
        questions = [item.question for item in items][: plan.timing_questions]
        with meter.stage("query embedding"):
            embed_ms, query_vecs = measure_query_embedding(embedder, questions, plan.embed_reps)

        calls = CountingGenerator(generator)
        pipeline = RagPipeline(corpus, embedder, calls)
        chunks = pipeline.retriever().index.chunks[: plan.speed_passages]
        with meter.stage("embedding speed"):
            embedding = measure_embedding_speed(embedder, settings, [c.text for c in chunks],
                                                [c.sentences or ((0, len(c.text)),) for c in chunks])
        with meter.stage("retrieval (corpus)"):
            corpus_times = measure_retrieval(pipeline.retriever(), questions, query_vecs, settings.top_k,
                                             plan.retrieval_reps, "corpus")

        with meter.stage("answers"):
            answers = measure_answers(pipeline, generator, calls, pick_questions(items, plan.answer_questions))

        with meter.stage("synthetic index"):
            synthetic = measure_synthetic(plan, pipeline.retriever().index.chunks, embedder, settings, questions,
                                          query_vecs, Path(tmp))

    chatting = meter.records["answers"]
    memory = MemoryUse(chatting.rss_after_bytes, chatting.peak_rss_bytes,
                       max(r.peak_rss_bytes for r in meter.records.values()), meter.peaks_resettable)
    return BenchResult(
        mode="quick" if quick else "full", plan=plan, machine=machine, models=loads, ingest=ingest,
        embedding=embedding, query_embedding_ms=embed_ms, answers=answers, memory=memory,
        generation=generation_speed(answers.generation_tokens_per_s, loads.llm_file_bytes, bandwidth),
        retrieval=Retrieval(corpus_times, synthetic), stages=dict(meter.records),
        duration_s=time.perf_counter() - started,
    )
