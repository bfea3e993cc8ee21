"""The printed table: each measurement with the issue's target beside it and whether it is met.

Example:
    >>> print(format_table([Row("re-ingest, no change", "0.01 s", "≤ 2 s", "yes")]))
    | metric | measured | target | met |
    | --- | --- | --- | --- |
    | re-ingest, no change | 0.01 s | ≤ 2 s | yes |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from survey_rag.bench.index_scale import IndexScaleResult
from survey_rag.bench.result import BenchResult
from survey_rag.bench.retrieval import RetrievalTimes
from survey_rag.bench.stats import Spread
from survey_rag.bench.synthetic import SyntheticTimes


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
    # Issue 15 let it grow from 400 to 600 if that bought correctness: eight evidence sentences did.
    "uncached": Target("p50 ≤ 600", 600),
    "ttft_p50": Target("p50 ≤ 6 s", 6),
    "ttft_p95": Target("p95 ≤ 10 s", 10),
    "total": Target("p50 ≤ 15 s", 15),
    "generation": Target("≥ 80% of bound", 0.8, at_most=False),
    "no_change": Target("≤ 2 s", 2),
    "speedup": Target("≥ 2.5 × fp32", 2.5, at_most=False),
    "retrieval_100k": Target("p95 ≤ 50 ms at 100,000", 50),
    "open_100k": Target("≤ 5 s at 100,000", 5),
    "index_rss_100k": Target("≤ 1 GB at 100,000", 1e9),
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


def _p(s: Spread, digits: int = 1, unit: str = "") -> str:
    return f"{_num(s.p50, digits, unit)} / {_num(s.p95, digits, unit)} (n={s.n})"


def _gb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e9:.2f} GB"


def _row(metric: str, measured: str, checks: Sequence[tuple[Target, float | None]] = (), applies: bool = True) -> Row:
    """A table row; each (target, value) check adds its target and whether it is met."""
    if not checks:
        return Row(metric, measured)
    words = {True: "yes", False: "NO", None: "–"}
    met = " / ".join("n/a" if not applies else words[t.met(v)] for t, v in checks)
    return Row(metric, measured, "; ".join(t.text for t, _ in checks), met)


def _load_and_ingest_rows(result: BenchResult) -> list[Row]:
    m, ing, bw, e = result.models, result.ingest, result.generation.copy_bandwidth, result.embedding
    cold = ing.cold
    rows = [
        _row("copy bandwidth (best)", f"{bw.best / 1e9:.1f} GB/s (1 thread "
             f"{bw.one_thread_bytes_per_s / 1e9:.1f}, {bw.threads} threads {bw.threaded_bytes_per_s / 1e9:.1f})"),
        _row("embedder load", f"{m.embedder_load_s:.1f} s ({m.embedder}, {m.embedder_dim} dims)"),
        _row("LLM load", f"{m.llm_load_s:.1f} s ({m.llm}, {_gb(m.llm_file_bytes)})"),
        _row("cold ingest, empty cache", f"{cold.documents} docs, {cold.passages} passages in {cold.seconds:.1f} s "
             f"({_num(cold.passages_per_s, 2)} passages/s)"),
        _row(f"embedding ({e.backend}) vs torch fp32, {e.passages} passages of {e.tokens_per_passage:.0f} tokens",
             f"{e.passages_per_s:.2f} vs {e.fp32_passages_per_s:.2f} passages/s = {e.speedup_vs_fp32:.2f} × "
             f"({e.tokens_per_s:.0f} tokens/s; fp32 bound {e.fp32_bound_passages_per_s:.2f} passages/s at "
             f"{e.fp32_gflops:.0f} GFLOP/s, {e.transformer_params / 1e6:.0f}M params)",
             [(TARGETS["speedup"], e.speedup_vs_fp32)]),
        _row("re-ingest, no change", f"{ing.no_change.seconds:.2f} s",
             [(TARGETS["no_change"], ing.no_change.seconds)]),
        _row("re-ingest, one document changed", f"{ing.one_changed.seconds:.1f} s, "
             f"{ing.one_changed.embedded} of {ing.one_changed.passages} passages embedded"),
    ]
    if ing.corpus_index_from_cache:
        rows.append(_row("corpus index from the embedding cache", f"{ing.corpus_index.seconds:.1f} s, "
                         f"{ing.corpus_index.embedded} of {ing.corpus_index.passages} passages embedded"))
    return rows


def _retrieval_kind_rows(r: RetrievalTimes, label: str, target: bool) -> list[Row]:
    """Dense, keyword and fused retrieval times; ``target``: the fused p95 is checked against 50 ms at 100,000."""
    rows = []
    for kind in ("dense", "keyword", "fused"):
        checks = [(TARGETS["retrieval_100k"], r.fused_ms.p95)] if target and kind == "fused" else []
        rows.append(_row(f"retrieval {kind} ms p50 / p95, {label}", _p(getattr(r, f"{kind}_ms")), checks,
                         applies=r.passages >= 100_000))
    rows.append(_row(f"retrieval fused CPU ms p50 / p95, {label}", _p(r.fused_cpu_ms)))
    return rows


def _synthetic_rows(synth: SyntheticTimes) -> list[Row]:
    disk, again = synth.on_disk, synth.on_disk.reingest
    return [
        *_retrieval_kind_rows(synth, f"synthetic ({synth.passages:,} passages, {synth.vector_index})", True),
        _row("synthetic index build", f"version written (vector index included) {synth.vector_build_s:.1f} s, "
             f"keywords {synth.keyword_build_s:.1f} s ({synth.korean_share:.0%} Korean passages)"),
        _row(f"synthetic index open, {synth.passages:,} passages",
             f"{disk.open_s:.2f} s ({disk.open_cpu_s:.2f} CPU s); with the keyword index "
             f"{disk.open_s + synth.keyword_build_s:.1f} s",
             [(TARGETS["open_100k"], disk.open_s)], applies=synth.passages >= 100_000),
        _row(f"RSS added by the synthetic index (open / after the searches, {disk.sentences:,} {disk.sentence_dtype} "
             f"sentence vectors)", f"{_gb(disk.open_rss_bytes)} / {_gb(disk.searched_rss_bytes)} "
             f"(mapped file pages {_gb(disk.searched_file_rss_bytes)})",
             [(TARGETS["index_rss_100k"], disk.searched_rss_bytes)], applies=synth.passages >= 100_000),
        _row("re-ingest, one synthetic document changed", f"{again.seconds:.1f} s ({again.embedded} of "
             f"{again.passages:,} passages embedded; finding it {again.find_changes_s:.1f} s, embedding "
             f"{again.embed_s:.1f} s, writing the version {again.write_s:.1f} s)"),
    ]


def _retrieval_rows(result: BenchResult) -> list[Row]:
    corpus = result.retrieval.corpus
    return [_row("query embedding ms p50 / p95", _p(result.query_embedding_ms)),
            *_retrieval_kind_rows(corpus, f"corpus ({corpus.passages:,} passages)", False),
            *_synthetic_rows(result.retrieval.synthetic)]


def _answer_and_memory_rows(result: BenchResult) -> list[Row]:
    ans, gen, memory = result.answers, result.generation, result.memory
    share = None if gen.share_of_bound is None else 100 * gen.share_of_bound
    return [
        _row("prompt tokens p50 / p95", _p(ans.prompt_tokens, 0)),
        _row(f"uncached prompt tokens p50 / p95 (minus {ans.cached_prefix_tokens} system-prompt tokens)",
             _p(ans.uncached_prompt_tokens, 0), [(TARGETS["uncached"], ans.uncached_prompt_tokens.p50)]),
        _row("prompt tokens llama.cpp computed p50 / p95", _p(ans.evaluated_prompt_tokens, 0)),
        _row("sources shown s p50 / p95", _p(ans.sources_shown_s, 2), [(TARGETS["sources"], ans.sources_shown_s.p50)]),
        _row("first token s p50 / p95", _p(ans.first_token_s),
             [(TARGETS["ttft_p50"], ans.first_token_s.p50), (TARGETS["ttft_p95"], ans.first_token_s.p95)]),
        _row("full answer s p50 / p95", _p(ans.total_s), [(TARGETS["total"], ans.total_s.p50)]),
        _row("prompt processing", f"{_num(ans.prompt_tokens_per_s)} tokens/s"),
        _row("generation", f"{_num(gen.tokens_per_s)} tokens/s; bound {gen.bound_tokens_per_s:.1f} "
             f"({_gb(gen.model_file_bytes)} / {gen.copy_bandwidth.best / 1e9:.1f} GB/s) = {_num(share, 0, '%')}",
             [(TARGETS["generation"], gen.share_of_bound)]),
        _row(f"peak RSS while chatting (after answering: {_gb(memory.chat_rss_bytes)})",
             _gb(memory.chat_peak_rss_bytes), [(TARGETS["chat_rss"], memory.chat_peak_rss_bytes)]),
        _row("RSS after loading the models", _gb(result.stages["model loads"].rss_after_bytes)),
        _row("peak RSS of the whole bench", _gb(memory.process_peak_rss_bytes)),
        _row("bench duration", f"{result.duration_s:.0f} s ({result.mode} run, {ans.questions} questions answered)"),
    ]


def table_rows(result: BenchResult) -> list[Row]:
    """The table's rows, from ``run_bench``'s result."""
    return [*_load_and_ingest_rows(result), *_retrieval_rows(result), *_answer_and_memory_rows(result)]


def index_scale_rows(result: IndexScaleResult) -> list[Row]:
    """The table of ``bench --index-scale``: the synthetic stage's rows, with the machine's load."""
    load = ", ".join(f"{x:.2f}" for x in result.machine.load_average)
    after = ", ".join(f"{x:.2f}" for x in result.load_average_after)
    return [
        _row("load average (1, 5, 15 min) before / after",
             f"{load} / {after} ({result.machine.cores_usable} cores usable)"),
        *_synthetic_rows(result.synthetic),
        _row("bench duration", f"{result.duration_s:.0f} s ({result.cpu_s:.0f} CPU s; "
             f"{'exact vectors' if result.exact_vectors else 'the product vector index'})"),
    ]


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table (pasteable into docs/BENCHMARKS.md)."""
    lines = ["| metric | measured | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.metric} | {r.measured} | {r.target} | {r.met} |" for r in rows]
    return "\n".join(lines)
