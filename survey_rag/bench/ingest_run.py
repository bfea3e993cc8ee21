"""Ingest timings: a cold ingest with an empty embedding cache, the same again unchanged, and again
after one document changed; with ``--quick``, also the corpus index the later stages search.

Example:
    >>> ingest, corpus_settings = measure_ingest(corpus_files(settings.corpus_dir), work, settings,
    ...                                          embedder, quick=True)  # doctest: +SKIP
    >>> ingest.no_change.embedded  # doctest: +SKIP
    0
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from core.progress import TqdmProgress
from core.settings import Settings
from ingest.embed import Embedder
from ingest.load import MANIFEST_NAME, SUPPORTED_SUFFIXES
from ingest.pipeline import ingest_paths

APPENDED_PARAGRAPH = (
    "\n\nBenchmark note: this paragraph was appended by survey-rag bench to measure how long "
    "re-ingesting one changed document takes.\n"
)


@dataclass(frozen=True)
class IngestRun:
    documents: int
    passages: int
    embedded: int
    seconds: float
    passages_per_s: float | None  # embedded passages per second


@dataclass(frozen=True)
class IngestTimes:
    cold: IngestRun
    no_change: IngestRun
    one_changed: IngestRun
    changed_document: str
    corpus_index: IngestRun  # the index answered from (the cold run's, or with --quick the whole corpus)
    corpus_index_from_cache: bool


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus documents the bench ingests; an error when there are none."""
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not files:
        raise RuntimeError(f"no documents in {corpus_dir} to benchmark")
    return files


def timed_ingest(paths: Sequence[Path], settings: Settings, embedder: Embedder) -> IngestRun:
    """One ``ingest_paths`` call with a progress bar; failures are errors."""
    started = time.perf_counter()
    with TqdmProgress() as progress:
        report = ingest_paths(paths, settings, embedder=embedder, progress=progress)
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"bench ingest failed: {report.failed[0]}")
    docs = len(report.added) + len(report.changed) + len(report.unchanged)
    return IngestRun(docs, report.chunks, report.embedded, seconds,
                     report.embedded / seconds if report.embedded else None)


def measure_ingest(files: Sequence[Path], work: Path, settings: Settings, embedder: Embedder, quick: bool
                   ) -> tuple[IngestTimes, Settings]:
    """Copies of ``files`` (with ``quick``: of the smallest) ingested into an empty data folder with an
    empty embedding cache, again unchanged, and again after a paragraph was appended to the largest
    one. Returns the settings of the corpus index the later stages use too: that data folder, or
    with ``quick`` the whole corpus indexed from the configured embedding cache."""
    chosen = [min(files, key=lambda f: f.stat().st_size)] if quick else list(files)
    folder = work / "ingest" / "documents"
    folder.mkdir(parents=True)
    for f in [*chosen, settings.corpus_dir / MANIFEST_NAME]:
        if f.exists():
            shutil.copyfile(f, folder / f.name)
    local = settings.replace(data_dir=work / "ingest" / "data",
                             embedding_cache_file=str(work / "ingest" / "embedding-cache.sqlite"))
    cold = timed_ingest([folder], local, embedder)
    no_change = timed_ingest([folder], local, embedder)
    changed = max(chosen, key=lambda f: f.stat().st_size).name
    with open(folder / changed, "a", encoding="utf-8") as fh:
        fh.write(APPENDED_PARAGRAPH)
    one_changed = timed_ingest([folder], local, embedder)
    corpus, corpus_run = local, cold
    if quick:
        corpus = settings.replace(data_dir=work / "corpus", embedding_cache_file=str(settings.embedding_cache_path))
        corpus_run = timed_ingest([settings.corpus_dir], corpus, embedder)
    return IngestTimes(cold, no_change, one_changed, changed, corpus_run, quick), corpus
