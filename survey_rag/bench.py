"""``survey-rag bench``: load, ingest, retrieval, answer speed and memory of the configured models.

Every stage is a small function that returns a frozen record; ``run_bench`` chains them into one
JSON-ready dict and ``table_rows`` / ``format_table`` turn that dict into the printed table, with
the issue's targets beside the measured values. ``--quick`` measures a subset (one small document
ingested cold, three questions answered, a 10,000-passage synthetic index, fewer repetitions) in
about two minutes on two cores; targets are only meaningful for the full run.

Example:
    $ survey-rag bench --quick --json bench.json

    >>> result = run_bench(Settings.load(), quick=True)  # doctest: +SKIP
    >>> print(format_table(table_rows(result)))  # doctest: +SKIP
    | metric | measured | target | met |
    ...
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from core.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from ingest.embed import Embedder
    from rag.generate import LlamaCppGenerator

log = logging.getLogger(__name__)

DEV_SET = Path(__file__).resolve().parent / "data" / "dev.jsonl"
APPENDED_PARAGRAPH = (
    "\n\nBenchmark note: this paragraph was appended by survey-rag bench to measure how long "
    "re-ingesting one changed document takes.\n"
)


@dataclass(frozen=True)
class BenchPlan:
    """How much of each stage to run."""

    quick: bool
    bandwidth_bytes: int
    bandwidth_reps: int
    embed_reps: int
    retrieval_reps: int
    synthetic_passages: int
    timing_questions: int | None  # dev questions timed for embedding and retrieval (None: all)
    answer_questions: int | None  # dev questions answered (None: all)
    korean_share: float = 0.05  # share of synthetic passages in Korean (Kiwi tokenises ~12 ms each)


FULL_PLAN = BenchPlan(quick=False, bandwidth_bytes=512 << 20, bandwidth_reps=7, embed_reps=3, retrieval_reps=5,
                      synthetic_passages=100_000, timing_questions=None, answer_questions=None)
QUICK_PLAN = BenchPlan(quick=True, bandwidth_bytes=128 << 20, bandwidth_reps=3, embed_reps=1, retrieval_reps=1,
                       synthetic_passages=10_000, timing_questions=15, answer_questions=3)


# ---------------------------------------------------------------- pure pieces


@dataclass(frozen=True)
class Spread:
    """Percentiles of a list of measurements (None when there were none)."""

    n: int
    p50: float | None
    p95: float | None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); None for no values.

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def spread(values: Sequence[float], scale: float = 1.0) -> Spread:
    """p50 and p95 of ``values`` times ``scale`` (1000 turns seconds into milliseconds)."""
    scaled = [v * scale for v in values]
    return Spread(len(scaled), percentile(scaled, 50), percentile(scaled, 95))


def copy_bandwidth(array_bytes: int, seconds: float) -> float:
    """Bytes per second of copying ``array_bytes``: what was read plus what was written (STREAM's count)."""
    return 2 * array_bytes / seconds


def bandwidth_bound_tokens_per_s(model_bytes: int, bandwidth_bytes_per_s: float) -> float:
    """Generation cannot beat reading every weight once per token: bandwidth / model size.

    >>> bandwidth_bound_tokens_per_s(1_000_000_000, 20e9)
    20.0
    """
    return bandwidth_bytes_per_s / model_bytes


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the shared start of two token lists (what llama.cpp keeps in its KV cache)."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


# ---------------------------------------------------------------- machine and memory


def machine_info(settings: Settings) -> dict[str, Any]:
    """CPU, cores, memory and library versions, for reading the numbers later."""
    import faiss
    import numpy
    import torch

    from rag.llm.llama_cpp_backend import llama_cpp_version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {"llama_cpp": llama_cpp_version(), "torch": torch.__version__, "faiss": faiss.__version__,
                     "numpy": numpy.__version__},
        "n_threads": settings.n_threads,
        "load_average": os.getloadavg(),
    }


def _proc_status_bytes(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def rss_bytes() -> int | None:
    """Resident memory of this process now."""
    return _proc_status_bytes("VmRSS")


def peak_rss_bytes() -> int:
    """Peak resident memory since the last ``reset_peak_rss`` (or since start)."""
    hwm = _proc_status_bytes("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> bool:
    """Start a new peak-memory window (Linux: ``5`` into clear_refs); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class StageMeter:
    """Seconds and peak resident memory of each named stage."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, float]] = {}
        self.peaks_resettable = True

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("bench: %s", name)
        self.peaks_resettable = reset_peak_rss() and self.peaks_resettable
        started = time.perf_counter()
        yield
        self.records[name] = {"seconds": time.perf_counter() - started, "peak_rss_bytes": peak_rss_bytes(),
                              "rss_after_bytes": rss_bytes()}


# ---------------------------------------------------------------- stages


@dataclass(frozen=True)
class Bandwidth:
    array_bytes: int
    one_thread_bytes_per_s: float
    threads: int
    threaded_bytes_per_s: float

    @property
    def best(self) -> float:
        return max(self.one_thread_bytes_per_s, self.threaded_bytes_per_s)


def measure_bandwidth(array_bytes: int, reps: int, threads: int) -> Bandwidth:
    """Best copy bandwidth of a large array, with one thread and with ``threads`` threads at once."""
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    src = np.ones(array_bytes // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page first

    def best(copy: Callable[[], None]) -> float:
        seconds = []
        for _ in range(reps):
            started = time.perf_counter()
            copy()
            seconds.append(time.perf_counter() - started)
        return copy_bandwidth(src.nbytes, min(seconds))

    one = best(lambda: np.copyto(dst, src))
    parts = [(d, s) for d, s in zip(np.array_split(dst, threads), np.array_split(src, threads))]
    with ThreadPoolExecutor(threads) as pool:  # numpy releases the GIL while copying
        many = best(lambda: list(pool.map(lambda p: np.copyto(*p), parts)))
    return Bandwidth(src.nbytes, one, threads, many)


@dataclass(frozen=True)
class ModelLoad:
    embedder: str
    embedder_dim: int
    embedder_load_s: float
    llm: str
    llm_file_bytes: int
    llm_load_s: float


def load_models(settings: Settings) -> tuple["Embedder", "LlamaCppGenerator", ModelLoad]:
    """The embedder and the in-process llama.cpp model, and how long each took to load (imports included)."""
    from ingest.embed import Embedder
    from rag.generate import LlamaCppGenerator, load_generator
    from core.models import resolve_model

    started = time.perf_counter()
    embedder = Embedder.load(settings)
    embedder_s = time.perf_counter() - started
    started = time.perf_counter()
    generator = load_generator(settings)
    llm_s = time.perf_counter() - started
    if not isinstance(generator, LlamaCppGenerator):
        raise RuntimeError("bench measures the in-process llama.cpp model; unset SURVEY_RAG_LLM_URL")
    path = resolve_model(settings.llm_model, settings)
    record = ModelLoad(settings.embedding_model, embedder.dim, embedder_s, generator.name, path.stat().st_size, llm_s)
    return embedder, generator, record


@dataclass(frozen=True)
class IngestRun:
    documents: int
    passages: int
    embedded: int
    seconds: float
    passages_per_s: float | None  # embedded passages per second


def timed_ingest(paths: Sequence[Path], settings: Settings, embedder) -> IngestRun:
    """One ``ingest_paths`` call with a progress bar; failures are errors."""
    from ingest.pipeline import ingest_paths
    from core.progress import TqdmProgress

    started = time.perf_counter()
    with TqdmProgress() as progress:
        report = ingest_paths(paths, settings, embedder=embedder, progress=progress)
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"bench ingest failed: {report.failed[0]}")
    docs = len(report.added) + len(report.changed) + len(report.unchanged)
    return IngestRun(docs, report.chunks, report.embedded, seconds,
                     report.embedded / seconds if report.embedded else None)


@dataclass(frozen=True)
class IngestScenarios:
    cold: IngestRun
    no_change: IngestRun
    one_changed: IngestRun
    changed_document: str


def ingest_scenarios(files: Sequence[Path], work: Path, settings: Settings, embedder) -> tuple[IngestScenarios, Settings]:
    """Copies of ``files`` ingested into an empty data folder with an empty embedding cache, again
    unchanged, and again after a paragraph was appended to the largest one. Returns the settings of
    that data folder too."""
    from ingest.load import MANIFEST_NAME

    folder = work / "documents"
    folder.mkdir(parents=True)
    for f in [*files, settings.corpus_dir / MANIFEST_NAME]:
        if f.exists():
            shutil.copyfile(f, folder / f.name)
    local = settings.replace(data_dir=work / "data", embedding_cache_file=str(work / "embedding-cache.sqlite"))
    cold = timed_ingest([folder], local, embedder)
    no_change = timed_ingest([folder], local, embedder)
    changed = max(files, key=lambda f: f.stat().st_size).name
    with open(folder / changed, "a", encoding="utf-8") as fh:
        fh.write(APPENDED_PARAGRAPH)
    one_changed = timed_ingest([folder], local, embedder)
    return IngestScenarios(cold, no_change, one_changed, changed), local


def corpus_files(corpus_dir: Path) -> list[Path]:
    from ingest.load import SUPPORTED_SUFFIXES

    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def load_questions(path: Path = DEV_SET):
    from rag.evaluate import load_items

    return load_items(path)


def measure_query_embedding(embedder: "Embedder", questions: Sequence[str], reps: int) -> tuple[Spread, "np.ndarray"]:
    """Milliseconds to embed one question, and the questions' vectors (one row each)."""
    import numpy as np
    from tqdm.auto import tqdm

    embedder.encode_queries([questions[0]])  # the first call pays one-off set-up
    seconds, vectors = [], []
    with tqdm(total=reps * len(questions), desc="query embedding", unit="question") as bar:
        for _ in range(reps):
            vectors = []
            for q in questions:
                started = time.perf_counter()
                vectors.append(embedder.encode_queries([q])[0])
                seconds.append(time.perf_counter() - started)
                bar.update()
    return spread(seconds, 1000), np.stack(vectors)


@dataclass(frozen=True)
class RetrievalTimes:
    passages: int
    vector_index: str
    keyword_build_s: float
    dense_ms: Spread
    keyword_ms: Spread
    fused_ms: Spread


def measure_retrieval(retriever, questions: Sequence[str], query_vecs, top_k: int, reps: int, label: str
                      ) -> RetrievalTimes:
    """Milliseconds of dense search, keyword scoring and the whole fused search (query vectors given)."""
    from tqdm.auto import tqdm

    started = time.perf_counter()
    _ = retriever.keyword_index  # built on first use, as in the chat page's warm-up
    keyword_build_s = time.perf_counter() - started
    retriever.search(questions[0], top_k, query_vecs[0])
    k = retriever.config.candidate_k
    kinds: dict[str, list[float]] = {"dense": [], "keyword": [], "fused": []}
    calls = {
        "dense": lambda q, v: retriever.dense(v, k),
        "keyword": lambda q, v: retriever.keyword(q, k),
        "fused": lambda q, v: retriever.search(q, top_k, v),
    }
    with tqdm(total=reps * len(questions), desc=f"retrieval ({label})", unit="question") as bar:
        for _ in range(reps):
            for q, v in zip(questions, query_vecs):
                for kind, call in calls.items():
                    t = time.perf_counter()
                    call(q, v)
                    kinds[kind].append(time.perf_counter() - t)
                bar.update()
    index = retriever.index
    return RetrievalTimes(len(index.chunks), type(index.vectors).__name__, keyword_build_s,
                          spread(kinds["dense"], 1000), spread(kinds["keyword"], 1000), spread(kinds["fused"], 1000))


def synthetic_texts(chunks: Sequence, n: int, korean_share: float, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (language, text) passages of words drawn from the corpus passages, each as long as a real
    passage of its language; a share of them Korean, the rest from the French and English passages."""
    rng = random.Random(seed)
    words: dict[str, list[str]] = {"ko": [], "latin": []}
    lengths: dict[str, list[int]] = {"ko": [], "latin": []}
    for c in chunks:
        group = "ko" if c.language == "ko" else "latin"
        split = c.text.split()
        words[group].extend(split)
        lengths[group].append(len(split))
    if not words["latin"]:
        words["latin"], lengths["latin"] = words["ko"], lengths["ko"]
    out = []
    for _ in range(n):
        group = "ko" if words["ko"] and rng.random() < korean_share else "latin"
        text = " ".join(rng.choices(words[group], k=max(5, rng.choice(lengths[group]))))
        out.append(("ko" if group == "ko" else "en", text))
    return out


def synthetic_index(n: int, dim: int, texts: Sequence[tuple[str, str]], model_id: str, seed: int = 0):
    """An in-memory index of ``n`` random unit vectors, built by the product's ``build_vector_index``
    (HNSW from 50,000 vectors), with the given passage texts; each passage is its own one sentence."""
    import numpy as np

    from ingest.index import Index, IndexedDocument, build_vector_index, sentence_starts
    from ingest.types import Chunk

    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    per_doc = 20
    chunks = tuple(
        Chunk(chunk_id=f"s{i}", doc_id=f"d{i // per_doc}", text=text, start=(i % per_doc) * 10_000,
              end=(i % per_doc) * 10_000 + len(text), language=lang, ordinal=i % per_doc)
        for i, (lang, text) in enumerate(texts[:n])
    )
    documents = {
        f"d{d}": IndexedDocument(f"d{d}", f"synthetic/d{d}.txt", f"Synthetic document {d}", ("en",), "", "",
                                 min(per_doc, n - d * per_doc), 0.0)
        for d in range(math.ceil(n / per_doc))
    }
    vector_index = build_vector_index(vectors, dim)
    return Index("synthetic", Path("synthetic"), documents, chunks, vector_index, model_id, vectors,
                 sentence_starts(chunks))


@dataclass(frozen=True)
class QuestionRun:
    id: str
    lang: str
    refused: bool
    sources_s: float
    first_token_s: float | None
    total_s: float
    prompt_tokens: int | None  # the first attempt's chat prompt, by the model's tokenizer
    uncached_prompt_tokens: int | None  # minus the system-prompt prefix llama.cpp reuses
    evaluated_prompt_tokens: int  # what llama.cpp actually computed (all attempts)
    prompt_eval_s: float
    generated_tokens: int
    generation_s: float
    model_calls: int  # the answer, plus a second attempt or a translation of the evidence when needed


class CountingGenerator:
    """The real generator, counting its chat calls."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def stream_chat(self, messages, **kwargs):
        self.calls += 1
        return self.inner.stream_chat(messages, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class PromptCounter:
    """Tokens of a chat prompt exactly as llama-cpp-python renders it (the GGUF's chat template)."""

    def __init__(self, generator: "LlamaCppGenerator"):
        from rag.prompt import SYSTEM_PROMPT

        self._generator = generator
        self._reference = generator.chat_prompt_tokens([{"role": "system", "content": SYSTEM_PROMPT},
                                                        {"role": "user", "content": ""}])

    @property
    def cached_prefix(self) -> int:
        """Tokens of the system prompt block, shared by every question's prompt."""
        return len(self._reference)

    def count(self, messages: Sequence[dict[str, str]]) -> tuple[int, int]:
        """(total, uncached) prompt tokens."""
        tokens = self._generator.chat_prompt_tokens(messages)
        return len(tokens), len(tokens) - common_prefix_len(tokens, self._reference)


def answer_questions(pipeline, items: Sequence, counter: PromptCounter, generator: "LlamaCppGenerator",
                     calls: CountingGenerator) -> list[QuestionRun]:
    """Answer each question through ``pipeline.stream``: when the sources arrive, the first token and
    the whole answer, the prompt's tokens, and llama.cpp's own counts."""
    from tqdm.auto import tqdm

    from rag.prompt import build_messages
    from rag.types import AnswerEvent, SourcesEvent

    runs = []
    for item in tqdm(items, desc="answering", unit="question"):
        generator.reset_perf()
        calls_before = calls.calls
        sources, answer, sources_s = None, None, 0.0
        started = time.perf_counter()
        for event in pipeline.stream(item.question):
            if isinstance(event, SourcesEvent):
                sources, sources_s = event, time.perf_counter() - started
            elif isinstance(event, AnswerEvent):
                answer = event.answer
        total_s = time.perf_counter() - started
        assert sources is not None and answer is not None
        prompt = uncached = None
        if not sources.will_refuse:
            prompt, uncached = counter.count(build_messages(answer.question, sources.language, sources.evidence))
        perf = generator.perf()
        n_prompt, prompt_s, n_gen, gen_s = perf.prompt_tokens, perf.prompt_s, perf.generated_tokens, perf.generation_s
        runs.append(QuestionRun(item.id, item.lang, answer.refused, sources_s, answer.timings.get("first_token_s"),
                                answer.timings.get("total_s", total_s), prompt, uncached, n_prompt, prompt_s,
                                n_gen, gen_s, calls.calls - calls_before))
    return runs


@dataclass(frozen=True)
class AnswerSummary:
    questions: int
    generated: int  # questions where the model wrote an answer (not refused before generation)
    refused: int
    sources_shown_s: Spread
    first_token_s: Spread
    total_s: Spread
    prompt_tokens: Spread
    uncached_prompt_tokens: Spread
    evaluated_prompt_tokens: Spread
    cached_prefix_tokens: int
    prompt_tokens_per_s: float | None
    generation_tokens_per_s: float | None


def summarise_answers(runs: Sequence[QuestionRun], cached_prefix: int) -> AnswerSummary:
    """Percentiles over the questions; first-token and answer times over those the model answered."""
    gen = [r for r in runs if r.first_token_s is not None]
    n_prompt, prompt_s = sum(r.evaluated_prompt_tokens for r in runs), sum(r.prompt_eval_s for r in runs)
    n_gen, gen_s = sum(r.generated_tokens for r in runs), sum(r.generation_s for r in runs)
    return AnswerSummary(
        questions=len(runs), generated=len(gen), refused=sum(r.refused for r in runs),
        sources_shown_s=spread([r.sources_s for r in runs]),
        first_token_s=spread([r.first_token_s for r in gen]),
        total_s=spread([r.total_s for r in gen]),
        prompt_tokens=spread([r.prompt_tokens for r in runs if r.prompt_tokens is not None]),
        uncached_prompt_tokens=spread([r.uncached_prompt_tokens for r in runs if r.uncached_prompt_tokens is not None]),
        evaluated_prompt_tokens=spread([r.evaluated_prompt_tokens for r in gen]),
        cached_prefix_tokens=cached_prefix,
        prompt_tokens_per_s=n_prompt / prompt_s if prompt_s > 0 else None,
        generation_tokens_per_s=n_gen / gen_s if gen_s > 0 else None,
    )


def pick_questions(items: Sequence, limit: int | None) -> list:
    """All items, or ``limit`` answerable ones taking the languages in turn (ko, fr, en, ko, ...)."""
    if limit is None:
        return list(items)
    by_lang: dict[str, list] = {}
    for item in items:
        if item.answerable:
            by_lang.setdefault(item.lang, []).append(item)
    first = ("ko", "fr", "en")
    langs = sorted(by_lang, key=lambda lang: (first.index(lang) if lang in first else len(first), lang))
    picked: list = []
    while len(picked) < limit and any(by_lang.values()):
        for lang in langs:
            if by_lang[lang] and len(picked) < limit:
                picked.append(by_lang[lang].pop(0))
    return picked


def measure_answers(pipeline, generator: "LlamaCppGenerator", items: Sequence
                    ) -> tuple[AnswerSummary, list[QuestionRun]]:
    """Answer ``items`` after the system prompt is cached; the peak-memory window starts with the first question."""
    counter = PromptCounter(generator)
    pipeline.warm_up()  # as the chat page does before its first question
    reset_peak_rss()
    runs = answer_questions(pipeline, items, counter, generator, pipeline.generator)
    return summarise_answers(runs, counter.cached_prefix), runs


def measure_synthetic(plan: BenchPlan, corpus_chunks: Sequence, embedder: "Embedder", settings: Settings,
                      questions: Sequence[str], query_vecs: "np.ndarray") -> dict[str, Any]:
    """Retrieval times over a synthetic index of ``plan.synthetic_passages`` passages, and its build time."""
    from rag.retrieve import HybridRetriever, RetrievalConfig

    n = plan.synthetic_passages
    log.info("building a synthetic index of %s passages", f"{n:,}")
    texts = synthetic_texts(corpus_chunks, n, plan.korean_share)
    started = time.perf_counter()
    index = synthetic_index(n, embedder.dim, texts, embedder.model_id)
    build_s = time.perf_counter() - started
    retriever = HybridRetriever(index, embedder, RetrievalConfig(candidate_k=settings.candidate_k))
    times = measure_retrieval(retriever, questions, query_vecs, settings.top_k, plan.retrieval_reps,
                              f"{n:,} passages")
    return {**dataclasses.asdict(times), "vector_build_s": build_s, "korean_share": plan.korean_share}


# ---------------------------------------------------------------- the whole run


def run_bench(settings: Settings, quick: bool = False) -> dict[str, Any]:
    """Measure every stage; returns the JSON-ready result (see docs/BENCHMARKS.md).

    Example:
        >>> result = run_bench(Settings.load(), quick=True)  # doctest: +SKIP
        >>> result["answers"]["first_token_s"]["p50"]  # doctest: +SKIP
        4.1
    """
    from rag.pipeline import RagPipeline

    plan = QUICK_PLAN if quick else FULL_PLAN
    started = time.perf_counter()
    meter = StageMeter()
    result: dict[str, Any] = {"mode": "quick" if quick else "full", "plan": dataclasses.asdict(plan),
                              "machine": machine_info(settings)}
    asdict = dataclasses.asdict

    with meter.stage("copy bandwidth"):
        bandwidth = measure_bandwidth(plan.bandwidth_bytes, plan.bandwidth_reps, max(1, settings.n_threads))
    with meter.stage("model loads"):
        embedder, generator, loads = load_models(settings)
    result["models"] = asdict(loads)

    with tempfile.TemporaryDirectory(prefix="survey-rag-bench-") as tmp:
        work = Path(tmp)
        files = corpus_files(settings.corpus_dir)
        if not files:
            raise RuntimeError(f"no documents in {settings.corpus_dir} to benchmark")
        with meter.stage("ingest"):
            chosen = [min(files, key=lambda f: f.stat().st_size)] if quick else files
            scenarios, ingested = ingest_scenarios(chosen, work / "ingest", settings, embedder)
            if quick:  # the corpus index for answering, from the configured embedding cache
                corpus = settings.replace(data_dir=work / "corpus",
                                          embedding_cache_file=str(settings.embedding_cache_path))
                corpus_run = timed_ingest([settings.corpus_dir], corpus, embedder)
            else:
                corpus, corpus_run = ingested, scenarios.cold
        result["ingest"] = {**asdict(scenarios), "corpus_index": asdict(corpus_run),
                            "corpus_index_from_cache": quick}

        items = load_questions()
        questions = [item.question for item in items][: plan.timing_questions]
        with meter.stage("query embedding"):
            embed_ms, query_vecs = measure_query_embedding(embedder, questions, plan.embed_reps)
        result["query_embedding_ms"] = asdict(embed_ms)

        pipeline = RagPipeline(corpus, embedder, CountingGenerator(generator))
        with meter.stage("retrieval (corpus)"):
            corpus_times = measure_retrieval(pipeline.retriever(), questions, query_vecs, settings.top_k,
                                             plan.retrieval_reps, "corpus")

        with meter.stage("answers"):
            answers, runs = measure_answers(pipeline, generator, pick_questions(items, plan.answer_questions))
        result["answers"] = {**asdict(answers), "per_question": [asdict(r) for r in runs]}
        result["memory"] = {"chat_rss_bytes": meter.records["answers"]["rss_after_bytes"],
                            "chat_peak_rss_bytes": meter.records["answers"]["peak_rss_bytes"]}
        bound = bandwidth_bound_tokens_per_s(loads.llm_file_bytes, bandwidth.best)
        rate = answers.generation_tokens_per_s
        result["generation"] = {
            "tokens_per_s": rate, "copy_bandwidth": {**asdict(bandwidth), "best_bytes_per_s": bandwidth.best},
            "model_file_bytes": loads.llm_file_bytes, "bound_tokens_per_s": bound,
            "share_of_bound": rate / bound if rate else None,
        }

        with meter.stage("synthetic index"):
            synthetic = measure_synthetic(plan, pipeline.retriever().index.chunks, embedder, settings, questions,
                                          query_vecs)
        result["retrieval"] = {"corpus": asdict(corpus_times), "synthetic": synthetic}

    # Every stage's peak, since resetting the peak (clear_refs) resets getrusage's ru_maxrss too.
    result["memory"]["process_peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in meter.records.values())
    result["memory"]["peaks_per_stage_resettable"] = meter.peaks_resettable
    result["stages"] = meter.records
    result["duration_s"] = time.perf_counter() - started
    return result


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Target:
    text: str  # as the issue states it
    limit: float
    at_most: bool = True  # the value must be <= limit (False: >= limit)

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.limit if self.at_most else value >= self.limit


TARGETS = {
    "sources": Target("p50 ≤ 1.5 s", 1.5),
    "uncached": Target("p50 ≤ 400", 400),
    "ttft_p50": Target("p50 ≤ 6 s", 6),
    "ttft_p95": Target("p95 ≤ 10 s", 10),
    "total": Target("p50 ≤ 15 s", 15),
    "generation": Target("≥ 80% of bound", 0.8, at_most=False),
    "no_change": Target("≤ 2 s", 2),
    "retrieval_100k": Target("p95 ≤ 50 ms at 100,000", 50),
    "chat_rss": Target("≤ 3.5 GB", 3.5e9),
}


@dataclass(frozen=True)
class Row:
    metric: str
    measured: str
    target: str = ""
    met: str = ""


def _num(value: float | None, digits: int = 1, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.{digits}f}{unit}"


def _p(s: dict, digits: int = 1, unit: str = "") -> str:
    return f"{_num(s['p50'], digits, unit)} / {_num(s['p95'], digits, unit)} (n={s['n']})"


def _gb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e9:.2f} GB"


def _row(metric: str, measured: str, checks: Sequence[tuple[Target, float | None]] = (), applies: bool = True) -> Row:
    """A table row; each (target, value) check adds its target and whether it is met."""
    if not checks:
        return Row(metric, measured)
    words = {True: "yes", False: "NO", None: "–"}
    met = " / ".join("n/a" if not applies else words[t.met(v)] for t, v in checks)
    return Row(metric, measured, "; ".join(t.text for t, _ in checks), met)


def table_rows(result: dict[str, Any]) -> list[Row]:
    """The table's rows, from ``run_bench``'s result."""
    m, ing, ans, gen = result["models"], result["ingest"], result["answers"], result["generation"]
    bw = gen["copy_bandwidth"]
    cold, corpus = ing["cold"], result["retrieval"]["corpus"]
    synth = result["retrieval"]["synthetic"]
    rows = [
        _row("copy bandwidth (best)", f"{bw['best_bytes_per_s'] / 1e9:.1f} GB/s (1 thread "
             f"{bw['one_thread_bytes_per_s'] / 1e9:.1f}, {bw['threads']} threads {bw['threaded_bytes_per_s'] / 1e9:.1f})"),
        _row("embedder load", f"{m['embedder_load_s']:.1f} s ({m['embedder']}, {m['embedder_dim']} dims)"),
        _row("LLM load", f"{m['llm_load_s']:.1f} s ({m['llm']}, {_gb(m['llm_file_bytes'])})"),
        _row("cold ingest, empty cache", f"{cold['documents']} docs, {cold['passages']} passages in {cold['seconds']:.1f} s "
             f"({_num(cold['passages_per_s'], 2)} passages/s)"),
        _row("re-ingest, no change", f"{ing['no_change']['seconds']:.2f} s",
             [(TARGETS["no_change"], ing["no_change"]["seconds"])]),
        _row("re-ingest, one document changed", f"{ing['one_changed']['seconds']:.1f} s, "
             f"{ing['one_changed']['embedded']} of {ing['one_changed']['passages']} passages embedded"),
    ]
    if ing["corpus_index_from_cache"]:
        rows.append(_row("corpus index from the embedding cache", f"{ing['corpus_index']['seconds']:.1f} s, "
                         f"{ing['corpus_index']['embedded']} of {ing['corpus_index']['passages']} passages embedded"))
    rows.append(_row("query embedding ms p50 / p95", _p(result["query_embedding_ms"])))
    for label, r in ((f"corpus ({corpus['passages']:,} passages)", corpus),
                     (f"synthetic ({synth['passages']:,} passages, {synth['vector_index']})", synth)):
        for kind in ("dense", "keyword", "fused"):
            checks = [(TARGETS["retrieval_100k"], r["fused_ms"]["p95"])] if r is synth and kind == "fused" else []
            rows.append(_row(f"retrieval {kind} ms p50 / p95, {label}", _p(r[f"{kind}_ms"]), checks,
                             applies=r["passages"] >= 100_000))
    rows.append(_row("synthetic index build", f"vectors {synth['vector_build_s']:.1f} s, keywords "
                     f"{synth['keyword_build_s']:.1f} s ({synth['korean_share']:.0%} Korean passages)"))
    rows += [
        _row("prompt tokens p50 / p95", _p(ans["prompt_tokens"], 0)),
        _row(f"uncached prompt tokens p50 / p95 (minus {ans['cached_prefix_tokens']} system-prompt tokens)",
             _p(ans["uncached_prompt_tokens"], 0), [(TARGETS["uncached"], ans["uncached_prompt_tokens"]["p50"])]),
        _row("prompt tokens llama.cpp computed p50 / p95", _p(ans["evaluated_prompt_tokens"], 0)),
        _row("sources shown s p50 / p95", _p(ans["sources_shown_s"], 2),
             [(TARGETS["sources"], ans["sources_shown_s"]["p50"])]),
        _row("first token s p50 / p95", _p(ans["first_token_s"]),
             [(TARGETS["ttft_p50"], ans["first_token_s"]["p50"]), (TARGETS["ttft_p95"], ans["first_token_s"]["p95"])]),
        _row("full answer s p50 / p95", _p(ans["total_s"]), [(TARGETS["total"], ans["total_s"]["p50"])]),
        _row("prompt processing", f"{_num(ans['prompt_tokens_per_s'])} tokens/s"),
        _row("generation", f"{_num(gen['tokens_per_s'])} tokens/s; bound {gen['bound_tokens_per_s']:.1f} "
             f"({_gb(gen['model_file_bytes'])} / {bw['best_bytes_per_s'] / 1e9:.1f} GB/s) = "
             f"{_num(None if gen['share_of_bound'] is None else 100 * gen['share_of_bound'], 0, '%')}",
             [(TARGETS["generation"], gen["share_of_bound"])]),
        _row("peak RSS while chatting (after answering: "
             f"{_gb(result['memory']['chat_rss_bytes'])})", _gb(result["memory"]["chat_peak_rss_bytes"]),
             [(TARGETS["chat_rss"], result["memory"]["chat_peak_rss_bytes"])]),
        _row("RSS after loading the models", _gb(result["stages"]["model loads"]["rss_after_bytes"])),
        _row("peak RSS of the whole bench", _gb(result["memory"]["process_peak_rss_bytes"])),
        _row("bench duration", f"{result['duration_s']:.0f} s ({result['mode']} run, {ans['questions']} questions answered)"),
    ]
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table (pasteable into docs/BENCHMARKS.md)."""
    lines = ["| metric | measured | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.metric} | {r.measured} | {r.target} | {r.met} |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- the command


def register_bench_command(add: Callable) -> None:
    """Add ``bench`` to the parser (``add(name, handler, help)``)."""
    p = add("bench", cmd_bench, "measure load, ingest, retrieval and answer speed and memory of the models")
    p.add_argument("--quick", action="store_true", help="a subset that runs in about two minutes")
    p.add_argument("--json", dest="json_path", type=Path, help="write every measurement as JSON here")


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if settings.llm_url:
        log.warning("bench measures the in-process model: ignoring SURVEY_RAG_LLM_URL")
        settings = settings.replace(llm_url="")
    result = run_bench(settings, quick=args.quick)
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        log.info("wrote %s", args.json_path)
    if args.quick:
        print("Quick run: a subset (targets are for the full run).")
    print(format_table(table_rows(result)))
    sys.stdout.flush()
    return 0
