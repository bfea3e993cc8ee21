"""The index at scale, before/after (how docs/BENCHMARKS.md's issue-19 rows were found).

    # a version of N passages (texts of an existing index's passages, random unit vectors), then opened
    # in a fresh process; PYTHONPATH picks the tree measured (main for "before")
    PYTHONPATH=<tree> .venv/bin/python scripts/measure_index_scale.py write OUT_INDEX 100000 --from INDEX --flat
    PYTHONPATH=<tree> .venv/bin/python scripts/measure_index_scale.py open OUT_INDEX
    # the same with the keyword index of the product's cache (built and saved by the first run, loaded
    # by the next): dense + best sentence + BM25 boost, as the chat searches
    .venv/bin/python scripts/measure_index_scale.py open OUT_INDEX --keyword-cache CACHE_DIR
    # the next version after one 20-passage document changed: extended HNSW vs the full rebuild
    .venv/bin/python scripts/measure_index_scale.py next OUT_FOLDER 20000 --hnsw-from 10000

Prints one JSON object: wall and CPU seconds (``time.process_time``: comparable on a shared
machine), RSS added, search times.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

import ingest.index as ix
from ingest.index import IndexedDocument
from ingest.types import Chunk

DIM, PER_DOC = 768, 20


def _rss() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _rss_parts() -> dict:
    """Anonymous and file-backed resident memory, MB (the kernel can drop clean file pages)."""
    parts = {}
    for line in open("/proc/self/status"):
        if line.startswith(("RssAnon", "RssFile")):
            name, kb = line.split()[:2]
            parts[name.rstrip(":")] = int(kb) / 1e3
    return parts


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _timed(out: dict, label: str, call):
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    out[label] = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}
    return result


def write(index_dir: Path, n: int, source: Path) -> dict:
    corpus = list(ix.open_index(source).chunks)
    rng = random.Random(0)
    chunks = []
    for i in range(n):
        c = rng.choice(corpus)
        chunks.append(Chunk(f"s{i}", f"d{i // PER_DOC}", c.text, c.start, c.end, c.language, c.heading, c.page,
                            i % PER_DOC, sentences=c.sentences))
    docs = [IndexedDocument(f"d{d}", f"/synthetic/d{d}.txt", f"Doc {d}", ("ko",), "", f"h{d}",
                            min(PER_DOC, n - d * PER_DOC), 0.0) for d in range((n + PER_DOC - 1) // PER_DOC)]
    g = np.random.default_rng(0)
    sentences = _unit(g, ix.sentence_starts(chunks)[-1])
    out = {"sentences": len(sentences)}
    _timed(out, "write", lambda: ix.write_version(index_dir, docs, chunks, _unit(g, n), "synthetic", sentences))
    return out


def open_and_search(index_dir: Path, keyword_cache: Path | None = None) -> dict:
    from rag.keyword_store import KeywordStore
    from rag.retrieve import HybridRetriever, RetrievalConfig

    out: dict = {}
    if keyword_cache:  # the query tokenizer (Kiwi), which the chat process loads anyway, is not the index
        from rag.keywords import tokenize

        start = _rss()
        tokenize("검색 증강 retrieval")
        out["rss_tokenizer_mb"] = (_rss() - start) / 1e6
    before = _rss()
    index = _timed(out, "open", lambda: ix.open_index(index_dir))
    opened = _rss()
    if keyword_cache:  # dense + best sentence + BM25 boost, the keyword index from the product's cache
        retriever = HybridRetriever(index, None, RetrievalConfig(), KeywordStore(keyword_cache, index_dir))
        _timed(out, "keyword index (loaded, or built and saved)", lambda: retriever.keyword_index)
        out["rss_keywords_mb"] = (_rss() - opened) / 1e6
    else:
        retriever = HybridRetriever(index, None, RetrievalConfig(keyword_boost=0.0))  # dense + best sentence
    texts = [c.text for c in random.Random(1).sample(index.chunks, 60)]  # words the keyword index knows
    queries = _unit(np.random.default_rng(1), 60)
    retriever.search(texts[0][:80], 5, queries[0])
    wall, cpu = [], []
    for text, q in zip(texts, queries):
        w, c = time.perf_counter(), time.process_time()
        retriever.search(text[:80], 5, q)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    out.update(rss_open_mb=(opened - before) / 1e6, rss_after_search_mb=(_rss() - before) / 1e6,
               process_rss_after_search_mb=_rss_parts(),
               search_ms_p50_p95=[1000 * float(np.percentile(wall, p)) for p in (50, 95)],
               search_cpu_ms_p50_p95=[1000 * float(np.percentile(cpu, p)) for p in (50, 95)],
               vectors=type(index.vectors).__name__, sentence_dtype=str(index.sentence_vectors.dtype))
    return out


def next_version(root: Path, n: int) -> dict:
    g = np.random.default_rng(0)
    text = "Un deux trois quatre. Cinq six sept huit. Neuf dix onze douze. Treize quatorze quinze seize."
    spans = ((0, 20), (21, 40), (41, 60), (61, len(text)))

    def chunks_of(d: int, k: int, tag: str = "") -> list[Chunk]:
        return [Chunk(f"c{d}-{i}{tag}", f"d{d}", text, i * 100, i * 100 + len(text), "fr", sentences=spans)
                for i in range(k)]

    docs = [IndexedDocument(f"d{d}", f"/s/d{d}.txt", "t", ("fr",), "", f"h{d}", PER_DOC, 0.0)
            for d in range(n // PER_DOC)]
    chunks = [c for d in range(n // PER_DOC) for c in chunks_of(d, PER_DOC)]
    out: dict = {}
    _timed(out, "first version", lambda: ix.write_version(root / "a", docs, chunks, _unit(g, n), "m",
                                                          _unit(g, 4 * n)))
    previous = ix.open_index(root / "a")
    new_chunks, new_vectors, new_sentences = chunks_of(0, 21, "new"), _unit(g, 21), _unit(g, 84)
    new_docs = docs[1:] + [IndexedDocument("d0", "/s/d0.txt", "t", ("fr",), "", "h0b", 21, 0.0)]
    kept = list(range(PER_DOC, n))
    _timed(out, "next version, extended", lambda: ix.write_next_version(
        root / "a", previous, kept, new_docs, new_chunks, new_vectors, new_sentences))
    vectors = np.concatenate([previous.vectors_of(kept), new_vectors])
    sentences = np.concatenate([previous.sentence_vectors_of_rows(kept), new_sentences.astype(np.float16)])
    _timed(out, "next version, rebuilt", lambda: ix.write_version(
        root / "b", new_docs, [previous.chunks[r] for r in kept] + new_chunks, vectors, "m", sentences))
    out["vector_index"] = type(ix.open_index(root / "a").vectors).__name__
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["write", "open", "next"])
    parser.add_argument("path", type=Path)
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--from", dest="source", type=Path, help="an index whose passage texts are reused")
    parser.add_argument("--flat", action="store_true", help="exact vectors at any size (no HNSW build)")
    parser.add_argument("--hnsw-from", type=int, help="HNSW_THRESHOLD for this run")
    parser.add_argument("--keyword-cache", type=Path, help="open: search with the keyword index kept in this folder")
    args = parser.parse_args()
    if args.flat:
        ix.HNSW_THRESHOLD = 10**12
    if args.hnsw_from:
        ix.HNSW_THRESHOLD = args.hnsw_from
    if args.what == "write":
        result = write(args.path, args.n, args.source)
    elif args.what == "open":
        result = open_and_search(args.path, args.keyword_cache)
    else:
        result = next_version(args.path, args.n)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
