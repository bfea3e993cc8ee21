"""Retrieval at scale: a synthetic collection written to disk as the product writes an index (one text
file per document, ``write_version``), opened with ``open_index``, searched by ``HybridRetriever`` and
re-ingested after one document changed by ``ingest_paths``. Passage vectors are random unit vectors;
passage texts are words drawn from the corpus passages, with as many sentences as real passages have.

Example:
    >>> write_synthetic_index(settings, folder, 300, 16, synthetic_texts(chunks, 300, 0.05), [4],
    ...                       "test-model")  # doctest: +SKIP
    >>> len(open_index(settings.index_dir).chunks)  # doctest: +SKIP
    300
"""

from __future__ import annotations

import gc
import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from core.settings import Settings
from ingest.embed import Embedder
from ingest.index import SENTENCE_DTYPE, IndexedDocument, open_index, write_version
from ingest.load import doc_id_for, file_hash
from ingest.pipeline import ingest_paths
from ingest.types import Chunk
from rag.retrieve import HybridRetriever, RetrievalConfig
from survey_rag.bench.ingest_run import APPENDED_PARAGRAPH
from survey_rag.bench.machine import file_rss_bytes, rss_bytes
from survey_rag.bench.plan import BenchPlan
from survey_rag.bench.retrieval import RetrievalTimes, measure_retrieval

log = logging.getLogger(__name__)

PASSAGES_PER_DOCUMENT = 20


def synthetic_texts(chunks: Sequence[Chunk], n: int, korean_share: float, seed: int = 0) -> list[tuple[str, str]]:
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


def _sentence_spans(text: str, count: int) -> tuple[tuple[int, int], ...]:
    """``text`` cut at word boundaries into ``count`` sentences of about as many words each."""
    ends, pos = [], 0
    for word in text.split(" "):
        pos += len(word)
        ends.append(pos)
        pos += 1
    cuts = [ends[min(len(ends) - 1, math.ceil(len(ends) * (i + 1) / count) - 1)] for i in range(count)]
    starts = [0] + [c + 1 for c in cuts[:-1]]
    return tuple((a, b) for a, b in zip(starts, cuts) if b > a)


def write_synthetic_corpus(folder: Path, texts: Sequence[tuple[str, str]], sentence_counts: Sequence[int],
                           seed: int = 0) -> tuple[list[IndexedDocument], list[Chunk]]:
    """One text file per ``PASSAGES_PER_DOCUMENT`` passages (blank lines between them) in ``folder``, and
    the documents and chunks an index of them holds; a passage has a number of sentences drawn from
    ``sentence_counts`` (the corpus passages')."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    documents, chunks = [], []
    for d in range(math.ceil(len(texts) / PASSAGES_PER_DOCUMENT)):
        path = folder / f"synthetic-{d:06d}.txt"
        source, body, doc_chunks = str(path.resolve()), "", []
        for i, (lang, text) in enumerate(texts[d * PASSAGES_PER_DOCUMENT : (d + 1) * PASSAGES_PER_DOCUMENT]):
            start = len(body) + (2 if body else 0)
            body = f"{body}\n\n{text}" if body else text
            doc_chunks.append(Chunk(chunk_id=f"{doc_id_for(source)}-{i}", doc_id=doc_id_for(source), text=text,
                                    start=start, end=start + len(text), language=lang, ordinal=i,
                                    sentences=_sentence_spans(text, rng.choice(sentence_counts))))
        path.write_text(body, encoding="utf-8")
        documents.append(IndexedDocument(doc_id_for(source), source, f"Synthetic document {d}",
                                         tuple(sorted({c.language for c in doc_chunks})), "", file_hash(path),
                                         len(doc_chunks), time.time()))
        chunks.extend(doc_chunks)
    return documents, chunks


def _unit_vectors(rng: np.random.Generator, n: int, dim: int, dtype: type) -> np.ndarray:
    """``n`` random unit vectors, made block by block so float16 ones never exist as float32 all at once."""
    out = np.empty((n, dim), dtype=dtype)
    for start in range(0, n, 50_000):
        block = rng.standard_normal((min(50_000, n - start), dim), dtype=np.float32)
        out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def write_synthetic_index(settings: Settings, folder: Path, n: int, dim: int, texts: Sequence[tuple[str, str]],
                          sentence_counts: Sequence[int], model_id: str, seed: int = 0) -> str:
    """The documents of ``n`` synthetic passages in ``folder`` and an index version of them, with random
    unit vectors, written by the product's ``write_version`` (HNSW from 50,000 vectors) into
    ``settings.index_dir``; returns the version's name."""
    documents, chunks = write_synthetic_corpus(folder, texts[:n], sentence_counts, seed)
    rng = np.random.default_rng(seed)
    vectors = _unit_vectors(rng, len(chunks), dim, np.float32)
    sentences = _unit_vectors(rng, sum(len(c.sentence_texts()) for c in chunks), dim, SENTENCE_DTYPE)
    return write_version(settings.index_dir, documents, chunks, vectors, model_id, sentences)


@dataclass(frozen=True)
class Reingest:
    """``ingest_paths`` after one synthetic document changed, and its stages' seconds."""

    seconds: float
    passages: int
    embedded: int
    find_changes_s: float  # the previous version opened and every file hashed, up to loading the changed one
    embed_s: float
    write_s: float  # the new version written and switched in


@dataclass(frozen=True)
class OnDisk:
    """The synthetic index as the product meets it: a version on disk, opened and re-ingested."""

    open_s: float  # open_index: vectors, sentence vectors (memory-mapped), documents and chunks
    open_cpu_s: float  # this process's CPU seconds of it
    open_rss_bytes: int | None  # resident memory opening added
    searched_rss_bytes: int | None  # added by opening, the keyword index and the timed searches together
    # The part of it that is mapped file pages (sentence vectors read; the kernel maps 64 KB around each
    # page a search reads), which it can drop again under memory pressure.
    searched_file_rss_bytes: int | None
    sentences: int
    sentence_dtype: str
    files_bytes: dict[str, int]  # size of each file of the version
    reingest: Reingest


@dataclass(frozen=True)
class SyntheticTimes(RetrievalTimes):
    vector_build_s: float  # write_version: the vector index build and the files
    korean_share: float
    on_disk: OnDisk


def _rss_now() -> tuple[int | None, int | None]:
    """Resident memory now, and the part of it that is mapped files."""
    gc.collect()
    return rss_bytes(), file_rss_bytes()


def _added(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


def measure_reingest(folder: Path, settings: Settings, embedder: Embedder) -> Reingest:
    """Append a paragraph to the first synthetic document and ingest the folder again."""
    with open(sorted(folder.glob("*.txt"))[0], "a", encoding="utf-8") as fh:
        fh.write(APPENDED_PARAGRAPH)
    first_seen: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        first_seen.setdefault(stage, time.perf_counter())

    started = time.perf_counter()
    report = ingest_paths([folder], settings, embedder=embedder, progress=progress)
    ended = time.perf_counter()
    if not report.ok or len(report.changed) != 1:
        raise RuntimeError(f"bench re-ingest of the synthetic collection went wrong: {report.summary()}")
    embed_start = first_seen.get("embed", first_seen["write"])
    return Reingest(ended - started, report.chunks, report.embedded, first_seen["load"] - started,
                    first_seen["write"] - embed_start, ended - first_seen["write"])


def measure_synthetic(plan: BenchPlan, corpus_chunks: Sequence[Chunk], embedder: Embedder, settings: Settings,
                      questions: Sequence[str], query_vecs: np.ndarray, work: Path) -> SyntheticTimes:
    """A synthetic index of ``plan.synthetic_passages`` passages written under ``work``, opened, searched
    and re-ingested after one document changed."""
    n = plan.synthetic_passages
    log.info("writing a synthetic index of %s passages", f"{n:,}")
    local = settings.replace(data_dir=work / "synthetic" / "data",
                             embedding_cache_file=str(work / "synthetic" / "embedding-cache.sqlite"))
    folder = work / "synthetic" / "documents"
    texts = synthetic_texts(corpus_chunks, n, plan.korean_share)
    counts = [len(c.sentence_texts()) for c in corpus_chunks] or [1]
    started = time.perf_counter()
    version = write_synthetic_index(local, folder, n, embedder.dim, texts, counts, embedder.model_id)
    write_s = time.perf_counter() - started

    before = _rss_now()
    started, cpu = time.perf_counter(), time.process_time()
    index = open_index(local.index_dir)
    open_s, open_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    opened = _rss_now()
    retriever = HybridRetriever(index, embedder, RetrievalConfig(candidate_k=settings.candidate_k))
    times = measure_retrieval(retriever, questions, query_vecs, settings.top_k, plan.retrieval_reps,
                              f"{n:,} passages")
    searched = _rss_now()
    sentences, dtype = len(index.sentence_vectors), index.sentence_vectors.dtype.name
    del retriever, index
    files = {p.name: p.stat().st_size for p in sorted((local.index_dir / version).iterdir())}
    reingest = measure_reingest(folder, local, embedder)
    on_disk = OnDisk(open_s, open_cpu_s, _added(before[0], opened[0]), _added(before[0], searched[0]),
                     _added(before[1], searched[1]), sentences, dtype, files, reingest)
    return SyntheticTimes(**vars(times), vector_build_s=write_s, korean_share=plan.korean_share, on_disk=on_disk)
