"""``survey-rag bench``: the pure pieces, and one real quick run with the default models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from survey_rag.bench.answers import AnswerSummary, QuestionRun, common_prefix_len
from survey_rag.bench.bandwidth import (
    Bandwidth,
    bandwidth_bound_tokens_per_s,
    copy_bandwidth,
    generation_speed,
    measure_bandwidth,
)
from survey_rag.bench.embedding_speed import EmbeddingSpeed
from survey_rag.bench.ingest_run import IngestRun, IngestTimes
from survey_rag.bench.machine import MachineInfo, StageRecord
from survey_rag.bench.model_load import ModelLoad
from survey_rag.bench.plan import FULL_PLAN
from survey_rag.bench.questions import load_questions, pick_questions
from survey_rag.bench.result import BenchResult, MemoryUse, Retrieval
from survey_rag.bench.retrieval import RetrievalTimes
from survey_rag.bench.stats import Spread, percentile, spread
from survey_rag.bench.synthetic import (
    OnDisk,
    Reingest,
    SyntheticTimes,
    synthetic_texts,
    write_synthetic_corpus,
    write_synthetic_index,
)
from survey_rag.bench.table import Target, format_table, table_rows
from ingest.load import file_hash
from tests.conftest import EMBEDDING_CACHE, REPO


@pytest.mark.parametrize("values", [[3.0], [5, 1, 4], [0.1 * i for i in range(37)], [9, 9, 1, 2, 100]])
@pytest.mark.parametrize("pct", [0, 50, 95, 100])
def test_percentile_matches_numpy(values, pct):
    assert percentile(values, pct) == pytest.approx(float(np.percentile(values, pct)))


def test_percentile_of_nothing_is_none():
    assert percentile([], 50) is None
    assert spread([]) == Spread(0, None, None)


def test_spread_scales_seconds_to_ms():
    s = spread([0.010, 0.020, 0.030], scale=1000)
    assert (s.n, s.p50) == (3, pytest.approx(20.0))
    assert s.p95 == pytest.approx(29.0)


def test_bandwidth_counts_read_and_write():
    assert copy_bandwidth(1_000_000_000, 0.1) == pytest.approx(20e9)


def test_bandwidth_bound_is_bandwidth_over_model_bytes():
    # The default model (1,117,320,768 bytes) at 20 GB/s can make at most ~17.9 tokens/s.
    assert bandwidth_bound_tokens_per_s(1_117_320_768, 20e9) == pytest.approx(17.9, abs=0.05)
    assert bandwidth_bound_tokens_per_s(2_000_000_000, 10e9) == pytest.approx(5.0)


def test_common_prefix_len():
    assert common_prefix_len([1, 2, 3, 4], [1, 2, 9]) == 2
    assert common_prefix_len([1, 2], [1, 2, 3]) == 2
    assert common_prefix_len([], [1]) == 0
    assert common_prefix_len([7], [8]) == 0


def test_targets_compare_in_the_right_direction():
    assert Target("≤ 2 s", 2).met(1.9) is True
    assert Target("≤ 2 s", 2).met(2.1) is False
    assert Target("≥ 80%", 0.8, at_most=False).met(0.79) is False
    assert Target("≥ 80%", 0.8, at_most=False).met(0.95) is True
    assert Target("≤ 2 s", 2).met(None) is None


def test_measure_bandwidth_is_positive_and_best_of_both():
    bw = measure_bandwidth(8 << 20, reps=2, threads=2)
    assert bw.one_thread_bytes_per_s > 0 and bw.threaded_bytes_per_s > 0
    assert bw.best == max(bw.one_thread_bytes_per_s, bw.threaded_bytes_per_s)


def _result(passages: int = 100_000, no_change_s: float = 0.5, uncached_p50: float = 250.0,
            speed: float = 6.0, open_s: float = 1.5) -> BenchResult:
    """A made-up result of run_bench's type."""

    def s(p50, p95, n=10):
        return Spread(n, p50, p95)

    retrieval = RetrievalTimes(passages=417, vector_index="IndexFlatIP", keyword_build_s=0.4, dense_ms=s(0.2, 0.4),
                               keyword_ms=s(1.0, 3.0), fused_ms=s(4.0, 9.0), fused_cpu_ms=s(3.0, 8.0))
    synthetic = SyntheticTimes(passages=passages, vector_index="IndexHNSWFlat", keyword_build_s=0.4,
                               dense_ms=s(0.2, 0.4), keyword_ms=s(1.0, 3.0), fused_ms=s(20.0, 70.0),
                               fused_cpu_ms=s(15.0, 40.0), vector_build_s=40.0, korean_share=0.05, on_disk=OnDisk(
                                   open_s=open_s, open_cpu_s=1.2, open_rss_bytes=400_000_000,
                                   searched_rss_bytes=1_100_000_000,
                                   searched_file_rss_bytes=150_000_000,
                                   sentences=425_000, sentence_dtype="float16",
                                   files_bytes={"manifest.json": 200, "sentences.npy": 652_800_128},
                                   reingest=Reingest(seconds=9.0, passages=100_001, embedded=21, find_changes_s=2.0,
                                                     embed_s=5.0, write_s=2.0)))
    ingest_run = IngestRun(documents=5, passages=417, embedded=417, seconds=100.0, passages_per_s=4.17)
    question = QuestionRun(id="q1", lang="ko", refused=False, sources_s=0.5, first_token_s=4.0, total_s=9.0,
                           prompt_tokens=400, uncached_prompt_tokens=240, evaluated_prompt_tokens=240,
                           prompt_eval_s=4.0, generated_tokens=80, generation_s=5.0, model_calls=1)
    answers = AnswerSummary(
        questions=10, generated=9, refused=1, sources_shown_s=s(0.5, 0.9), first_token_s=s(4.0, 11.0),
        total_s=s(9.0, 14.0), prompt_tokens=s(400, 500), uncached_prompt_tokens=s(uncached_p50, 350),
        evaluated_prompt_tokens=s(240, 340), cached_prefix_tokens=160, prompt_tokens_per_s=60.0,
        generation_tokens_per_s=16.0, per_question=(question,))
    bandwidth = Bandwidth(array_bytes=1, one_thread_bytes_per_s=20e9, threads=2, threaded_bytes_per_s=12e9)
    return BenchResult(
        mode="full",
        plan=FULL_PLAN,
        machine=MachineInfo(cpu="test cpu", cores=2, cores_usable=2, memory_bytes=24 << 30, platform="Linux",
                            python="3.11.7", versions={"numpy": "2"}, n_threads=2, load_average=(0.5, 0.4, 0.3)),
        models=ModelLoad(embedder="embeddinggemma-300m", embedder_dim=768, embedder_load_s=8.0, llm="m.gguf",
                         llm_file_bytes=1_117_320_768, llm_load_s=1.2),
        ingest=IngestTimes(cold=ingest_run, no_change=IngestRun(5, 417, 0, no_change_s, None),
                           one_changed=IngestRun(5, 417, 2, 3.0, 0.67), changed_document="a.txt",
                           corpus_index=ingest_run, corpus_index_from_cache=False),
        embedding=EmbeddingSpeed(backend="onnx", passages=32, tokens_per_passage=170.0, passages_per_s=speed,
                                 tokens_per_s=speed * 170, fp32_passages_per_s=2.0, speedup_vs_fp32=speed / 2.0,
                                 fp32_gflops=150.0, transformer_params=100_000_000, fp32_bound_passages_per_s=4.4),
        query_embedding_ms=s(30.0, 45.0),
        answers=answers,
        memory=MemoryUse(chat_rss_bytes=2_900_000_000, chat_peak_rss_bytes=3_100_000_000,
                         process_peak_rss_bytes=3_600_000_000, peaks_per_stage_resettable=True),
        generation=generation_speed(16.0, 1_117_320_768, bandwidth),  # bound 17.9 tokens/s
        retrieval=Retrieval(corpus=retrieval, synthetic=synthetic),
        stages={"model loads": StageRecord(seconds=9.0, peak_rss_bytes=2_700_000_000, rss_after_bytes=2_600_000_000)},
        duration_s=900.0,
    )


def _by_metric(rows, start: str):
    found = [r for r in rows if r.metric.startswith(start)]
    assert len(found) == 1, (start, [r.metric for r in rows])
    return found[0]


def test_table_states_targets_and_whether_they_are_met():
    rows = table_rows(_result())
    assert _by_metric(rows, "re-ingest, no change").met == "yes"
    assert _by_metric(rows, "uncached prompt tokens").met == "yes"
    assert _by_metric(rows, "first token").met == "yes / NO"  # p50 4 s meets 6 s, p95 11 s misses 10 s
    assert _by_metric(rows, "retrieval fused ms p50 / p95, synthetic").met == "NO"  # p95 70 ms > 50 ms
    assert _by_metric(rows, "retrieval dense ms p50 / p95, synthetic").target == ""
    assert _by_metric(rows, "generation").met == "yes"  # 89% of the bound
    assert _by_metric(rows, "peak RSS while chatting").met == "yes"
    assert _by_metric(rows, "embedding (onnx) vs torch fp32").met == "yes"  # 6 / 2 passages/s = 3 ×
    failing = table_rows(_result(no_change_s=2.5, uncached_p50=601, speed=4.0))
    assert _by_metric(failing, "embedding (onnx) vs torch fp32").met == "NO"  # 2 ×
    assert _by_metric(failing, "re-ingest, no change").met == "NO"
    assert _by_metric(failing, "uncached prompt tokens").met == "NO"
    assert _by_metric(rows, "synthetic index open").met == "yes"  # 1.5 s
    assert _by_metric(table_rows(_result(open_s=5.5)), "synthetic index open").met == "NO"
    assert _by_metric(rows, "RSS added by the synthetic index").met == "NO"  # 1.1 GB after the searches
    assert "9.0 s (21 of 100,001 passages embedded" in _by_metric(rows, "re-ingest, one synthetic").measured


def test_retrieval_target_does_not_apply_below_100k_passages():
    row = _by_metric(table_rows(_result(passages=10_000)), "retrieval fused ms p50 / p95, synthetic")
    assert row.met == "n/a" and "100,000" in row.target


def test_format_table_is_markdown_with_one_line_per_row():
    rows = table_rows(_result())
    text = format_table(rows)
    lines = text.splitlines()
    assert lines[0] == "| metric | measured | target | met |"
    assert len(lines) == len(rows) + 2
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert "| 0.50 s | ≤ 2 s | yes |" in text


def _key_paths(value, prefix: str = "") -> list[str]:
    """Every key of a JSON value as a dotted path, in order (list items as ``[]``, stage names as ``*``)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [f"{prefix}{k}", *_key_paths(v, f"{prefix}{k}.")]]
    if isinstance(value, list):
        return sorted({p for item in value for p in _key_paths(item, f"{prefix}[].")}, key=str)
    return []


SPREAD_KEYS = ["n", "p50", "p95"]
INGEST_RUN_KEYS = ["documents", "passages", "embedded", "seconds", "passages_per_s"]
RETRIEVAL_KEYS = ["passages", "vector_index", "keyword_build_s", "dense_ms", *(f"dense_ms.{k}" for k in SPREAD_KEYS),
                  "keyword_ms", *(f"keyword_ms.{k}" for k in SPREAD_KEYS), "fused_ms",
                  *(f"fused_ms.{k}" for k in SPREAD_KEYS), "fused_cpu_ms",
                  *(f"fused_cpu_ms.{k}" for k in SPREAD_KEYS)]


def _under(parent: str, keys) -> list[str]:
    return [f"{parent}.{k}" for k in keys]


def _nested(parent: str, name: str, keys) -> list[str]:
    return [f"{parent}.{name}", *_under(f"{parent}.{name}", keys)]


# The JSON that ``bench --json`` has written since the bench was added (docs/BENCHMARKS.md).
JSON_KEYS = [
    "mode",
    "plan", *_under("plan", ["quick", "bandwidth_bytes", "bandwidth_reps", "embed_reps", "retrieval_reps",
                             "synthetic_passages", "timing_questions", "answer_questions", "speed_passages",
                             "korean_share"]),
    "machine", *_under("machine", ["cpu", "cores", "cores_usable", "memory_bytes", "platform", "python", "versions",
                                   "versions.numpy", "n_threads", "load_average"]),
    "models", *_under("models", ["embedder", "embedder_dim", "embedder_load_s", "llm", "llm_file_bytes",
                                 "llm_load_s"]),
    "ingest", *_nested("ingest", "cold", INGEST_RUN_KEYS), *_nested("ingest", "no_change", INGEST_RUN_KEYS),
    *_nested("ingest", "one_changed", INGEST_RUN_KEYS), "ingest.changed_document",
    *_nested("ingest", "corpus_index", INGEST_RUN_KEYS), "ingest.corpus_index_from_cache",
    "embedding", *_under("embedding", ["backend", "passages", "tokens_per_passage", "passages_per_s", "tokens_per_s",
                                       "fp32_passages_per_s", "speedup_vs_fp32", "fp32_gflops", "transformer_params",
                                       "fp32_bound_passages_per_s"]),
    "query_embedding_ms", *_under("query_embedding_ms", SPREAD_KEYS),
    "answers", "answers.questions", "answers.generated", "answers.refused",
    *(p for name in ["sources_shown_s", "first_token_s", "total_s", "prompt_tokens", "uncached_prompt_tokens",
                     "evaluated_prompt_tokens"] for p in _nested("answers", name, SPREAD_KEYS)),
    "answers.cached_prefix_tokens", "answers.prompt_tokens_per_s", "answers.generation_tokens_per_s",
    "answers.per_question", *sorted(_under("answers.per_question.[]", [
        "id", "lang", "refused", "sources_s", "first_token_s", "total_s", "prompt_tokens", "uncached_prompt_tokens",
        "evaluated_prompt_tokens", "prompt_eval_s", "generated_tokens", "generation_s", "model_calls"])),
    "memory", *_under("memory", ["chat_rss_bytes", "chat_peak_rss_bytes", "process_peak_rss_bytes",
                                 "peaks_per_stage_resettable"]),
    "generation", "generation.tokens_per_s",
    *_nested("generation", "copy_bandwidth", ["array_bytes", "one_thread_bytes_per_s", "threads",
                                              "threaded_bytes_per_s", "best_bytes_per_s"]),
    "generation.model_file_bytes", "generation.bound_tokens_per_s", "generation.share_of_bound",
    "retrieval", *_nested("retrieval", "corpus", RETRIEVAL_KEYS),
    *_nested("retrieval", "synthetic", [*RETRIEVAL_KEYS, "vector_build_s", "korean_share", "on_disk",
                                        *_under("on_disk", ["open_s", "open_cpu_s", "open_rss_bytes", "searched_rss_bytes", "searched_file_rss_bytes",
                                                            "sentences", "sentence_dtype", "files_bytes",
                                                            "files_bytes.manifest.json", "files_bytes.sentences.npy",
                                                            "reingest"]),
                                        *_under("on_disk.reingest", ["seconds", "passages", "embedded",
                                                                     "find_changes_s", "embed_s", "write_s"])]),
    "stages", *_nested("stages", "model loads", ["seconds", "peak_rss_bytes", "rss_after_bytes"]),
    "duration_s",
]


def test_result_json_has_the_keys_the_bench_has_always_written():
    result = _result()
    data = json.loads(json.dumps(result.to_dict()))
    assert _key_paths(data) == JSON_KEYS
    assert data["generation"]["copy_bandwidth"]["best_bytes_per_s"] == 20e9
    assert data["generation"]["share_of_bound"] == pytest.approx(16.0 / bandwidth_bound_tokens_per_s(
        1_117_320_768, 20e9))
    assert data["answers"]["per_question"][0]["model_calls"] == 1
    assert data["retrieval"]["synthetic"]["fused_ms"] == {"n": 10, "p50": 20.0, "p95": 70.0}
    assert data["machine"]["load_average"] == [0.5, 0.4, 0.3]


def test_pick_questions_takes_answerable_questions_language_by_language():
    items = load_questions()
    picked = pick_questions(items, 3)
    assert [i.lang for i in picked] == ["ko", "fr", "en"]
    assert all(i.answerable for i in picked)
    assert pick_questions(items, None) == items


class _Chunk:
    def __init__(self, language: str, text: str):
        self.language, self.text = language, text


def test_synthetic_texts_mix_languages_with_real_lengths():
    chunks = [_Chunk("ko", "대형 언어 모델 은 " * 5), _Chunk("fr", "le modèle de langage " * 10), _Chunk("en", "model " * 30)]
    texts = synthetic_texts(chunks, 2000, korean_share=0.1)
    korean = [t for lang, t in texts if lang == "ko"]
    assert 120 < len(korean) < 280
    assert all(len(t.split()) == 20 for t in korean)
    assert {len(t.split()) for lang, t in texts if lang == "en"} == {30, 40}


def test_synthetic_corpus_files_hold_the_indexed_passages(tmp_path):
    texts = [("en", " ".join(f"w{i}x{j}" for j in range(12))) for i in range(45)]
    documents, chunks = write_synthetic_corpus(tmp_path, texts, [3])
    assert len(documents) == 3 and [d.chunk_count for d in documents] == [20, 20, 5] and len(chunks) == 45
    for doc in documents:
        body = Path(doc.source).read_text(encoding="utf-8")
        assert file_hash(Path(doc.source)) == doc.content_hash
        for chunk in (c for c in chunks if c.doc_id == doc.doc_id):
            assert body[chunk.start : chunk.end] == chunk.text
            assert [len(s.split()) for s in chunk.sentence_texts()] == [4, 4, 4]


def test_synthetic_index_is_written_and_opened_as_the_products(tmp_path, monkeypatch):
    import ingest.index
    from core.settings import Settings
    from rag.retrieve import HybridRetriever

    settings = Settings.load(overrides={"data_dir": tmp_path / "data"}, environ={})
    texts = [("en", f"word{i} text and more words here") for i in range(300)]
    write_synthetic_index(settings, tmp_path / "small", 300, 16, texts, [2], "test-model")
    small = ingest.index.open_index(settings.index_dir)
    assert type(small.vectors).__name__ == "IndexFlatIP" and small.sentence_vectors.dtype == np.float16
    assert len(small.chunks) == small.vectors.ntotal == 300 and len(small.sentence_vectors) == 600
    row, score = small.search(small.vectors_of([7])[0], 1)[0]
    assert row == 7 and score == pytest.approx(1.0, abs=1e-5)
    monkeypatch.setattr(ingest.index, "HNSW_THRESHOLD", 200)
    write_synthetic_index(settings, tmp_path / "large", 300, 16, texts, [2], "test-model")
    large = ingest.index.open_index(settings.index_dir)
    assert type(large.vectors).__name__ == "IndexHNSWFlat"
    # The product's retriever runs on it, keyword-only candidates (read back from HNSW) included.
    retriever = HybridRetriever(large, embedder=None)
    assert set(retriever.keyword("word250", 30)) == {250}
    hits = retriever.search("word250", 5, large.vectors_of([3])[0])
    assert len(hits) == 5 and hits[0].row == 3


def test_synthetic_stage_opens_searches_and_reingests_on_disk(tmp_path, monkeypatch, small_embedder):
    """The stage end to end at 300 passages, HNSW from 200: a changed document extends the HNSW index."""
    import dataclasses

    import ingest.index
    from core.settings import Settings
    from ingest.types import Chunk
    from survey_rag.bench.synthetic import measure_synthetic

    monkeypatch.setattr(ingest.index, "HNSW_THRESHOLD", 200)
    text = "Fine-tuning adapts a model. Distillation trains a small model. Prompting needs no training."
    corpus = [Chunk("c", "d", text, 0, len(text), "en", sentences=((0, 27), (28, 62), (63, len(text))))]
    settings = Settings.load(overrides={"data_dir": tmp_path / "data", "embedding_model": "all-minilm-l6-v2"},
                             environ={})
    questions = ["When to fine-tune?", "What is distillation?"]
    plan = dataclasses.replace(FULL_PLAN, synthetic_passages=300, retrieval_reps=1)
    times = measure_synthetic(plan, corpus, small_embedder, settings, questions,
                              small_embedder.encode_queries(questions), tmp_path / "work")
    disk = times.on_disk
    assert times.passages == 300 and times.vector_index == "IndexHNSWFlat" and times.fused_ms.n == 2
    assert disk.sentences == 900 and disk.sentence_dtype == "float16" and disk.open_s > 0
    assert disk.files_bytes["sentences.npy"] == 128 + 900 * small_embedder.dim * 2  # npy header + float16 rows
    assert disk.reingest.embedded >= 1 and disk.reingest.passages > 280
    index_dir = tmp_path / "work" / "synthetic" / "data" / "index"
    assert (index_dir / ingest.index.current_version(index_dir) / "slots.npy").is_file()  # extended, not rebuilt


def test_index_scale_runs_the_synthetic_stage_alone_hnsw_or_flat(tmp_path, monkeypatch, small_embedder):
    """``bench --index-scale`` at 300 passages, HNSW from 200: the product's vector index, then with ``--flat``
    exact vectors (the threshold restored after), each with wall and CPU figures and the load average."""
    import dataclasses

    import ingest.index
    from core.settings import Settings
    from survey_rag.bench.index_scale import run_index_scale
    from survey_rag.bench.table import index_scale_rows

    monkeypatch.setattr(ingest.index, "HNSW_THRESHOLD", 200)
    settings = Settings.load(overrides={"data_dir": tmp_path / "data", "embedding_model": "all-minilm-l6-v2"},
                             environ={})
    plan = dataclasses.replace(FULL_PLAN, retrieval_reps=1, timing_questions=2)
    hnsw = run_index_scale(settings, 300, flat=False, embedder=small_embedder, plan=plan)
    flat = run_index_scale(settings, 300, flat=True, embedder=small_embedder, plan=plan)
    assert ingest.index.HNSW_THRESHOLD == 200
    assert (hnsw.synthetic.vector_index, flat.synthetic.vector_index) == ("IndexHNSWFlat", "IndexFlatIP")
    assert (hnsw.exact_vectors, flat.exact_vectors) == (False, True)
    for result in (hnsw, flat):
        synth = result.synthetic
        assert synth.passages == 300 and synth.fused_ms.n == synth.fused_cpu_ms.n == 2
        assert synth.on_disk.open_cpu_s > 0 and synth.on_disk.reingest.embedded >= 1
        assert result.cpu_s > 0 and len(result.load_average_after) == 3
        assert json.loads(json.dumps(result.to_dict()))["synthetic"]["on_disk"]["open_cpu_s"] > 0
    table = format_table(index_scale_rows(flat))
    assert "| load average (1, 5, 15 min) before / after |" in table and "exact vectors" in table
    assert "retrieval fused CPU ms p50 / p95, synthetic (300 passages, IndexFlatIP)" in table


def test_flat_goes_with_index_scale():
    import argparse

    from core.errors import UserFacingError
    from core.settings import Settings
    from survey_rag.bench.command import cmd_bench

    args = argparse.Namespace(quick=False, json_path=None, index_scale=None, flat=True)
    with pytest.raises(UserFacingError, match="--flat goes with --index-scale"):
        cmd_bench(args, Settings.load(environ={}))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quick_bench_writes_sane_json(tmp_path, corpus_settings):
    """The real command with the default models. ``corpus_settings`` fills the shared embedding cache,
    which the quick run's corpus index reads, so only the one small document is embedded cold."""
    out = tmp_path / "bench.json"
    env = {**os.environ, "SURVEY_RAG_DATA_DIR": str(tmp_path / "data"),
           "SURVEY_RAG_EMBEDDING_CACHE_FILE": str(EMBEDDING_CACHE)}
    env.pop("SURVEY_RAG_LLM_URL", None)
    exe = Path(sys.executable).with_name("survey-rag")
    proc = subprocess.run([str(exe), "bench", "--quick", "--json", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=840)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| metric | measured | target | met |" in proc.stdout
    r = json.loads(out.read_text(encoding="utf-8"))

    assert r["mode"] == "quick"
    assert list(r) == [k for k in JSON_KEYS if "." not in k]
    assert list(r["stages"]) == ["copy bandwidth", "model loads", "ingest", "query embedding", "embedding speed",
                                 "retrieval (corpus)", "answers", "synthetic index"]
    e = r["embedding"]
    assert e["backend"] == "onnx-int8" and e["passages"] == 8  # the default, auto
    assert e["speedup_vs_fp32"] == pytest.approx(e["passages_per_s"] / e["fp32_passages_per_s"])
    assert 50e6 < e["transformer_params"] < 200e6  # EmbeddingGemma's ~100M without its token table
    assert e["fp32_gflops"] > 0 and e["tokens_per_s"] > e["passages_per_s"]
    assert r["models"]["embedder_load_s"] > 0 and r["models"]["llm_load_s"] > 0
    assert r["models"]["llm_file_bytes"] > 100_000_000
    cold, same, changed = r["ingest"]["cold"], r["ingest"]["no_change"], r["ingest"]["one_changed"]
    assert cold["seconds"] > 0 and cold["embedded"] == cold["passages"] > 0  # the cache started empty
    assert same["embedded"] == 0 and same["passages"] == cold["passages"]
    assert 1 <= changed["embedded"] < changed["passages"] + 1
    assert r["ingest"]["corpus_index"]["passages"] > 100
    assert r["query_embedding_ms"]["p50"] > 0

    for name, size in (("corpus", r["ingest"]["corpus_index"]["passages"]), ("synthetic", 10_000)):
        times = r["retrieval"][name]
        assert times["passages"] == size
        for kind in ("dense", "keyword", "fused"):
            ms = times[f"{kind}_ms"]
            assert ms["n"] >= 15 and 0 < ms["p50"] <= ms["p95"], (name, kind, ms)

    disk = r["retrieval"]["synthetic"]["on_disk"]
    assert disk["open_s"] > 0 and disk["sentence_dtype"] == "float16" and disk["sentences"] > 10_000
    assert disk["files_bytes"]["sentences.npy"] > disk["sentences"] * 768 * 2
    again = disk["reingest"]
    assert again["passages"] > 9_900 and 1 <= again["embedded"] < 100  # the changed document re-chunked
    assert again["seconds"] >= again["find_changes_s"] + again["embed_s"] + again["write_s"] > 0

    a = r["answers"]
    assert a["questions"] == 3 and a["generated"] >= 1
    assert 0 < a["sources_shown_s"]["p50"] < a["total_s"]["p95"]
    assert 0 < a["first_token_s"]["p50"] <= a["total_s"]["p95"]
    assert a["cached_prefix_tokens"] > 50
    assert 0 < a["uncached_prompt_tokens"]["p50"] < a["prompt_tokens"]["p50"]
    for q in a["per_question"]:
        assert q["model_calls"] >= (q["first_token_s"] is not None)
        if q["first_token_s"] is not None:  # each call computed about the uncached part only (a retry
            # or a translation starts with the same cached instructions and is no longer than the answer's)
            uncached = q["prompt_tokens"] - a["cached_prefix_tokens"]
            assert q["evaluated_prompt_tokens"] <= q["model_calls"] * (uncached + 40), q

    g = r["generation"]
    assert g["tokens_per_s"] > 0 and g["bound_tokens_per_s"] > 0 and g["share_of_bound"] > 0
    assert g["copy_bandwidth"]["best_bytes_per_s"] > 1e8
    m = r["memory"]
    assert m["chat_peak_rss_bytes"] >= m["chat_rss_bytes"] > 1e9  # embedder and LLM are resident
    assert m["process_peak_rss_bytes"] >= m["chat_peak_rss_bytes"]
