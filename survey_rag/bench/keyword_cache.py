"""Keyword index start-up with the keyword cache (rag.keyword_store), over synthetic passages.

Three starts of ``HybridRetriever.keyword_index`` for each size, each with a new retriever and store:
``first`` with an empty cache (tokenise every passage, build, save), ``second`` on the same index
version (load the saved index), and ``changed`` on a new version where one document's passages
(20) changed (tokenise those, read the others' tokens, build, save).

    nice -n 15 .venv/bin/python -m survey_rag.bench.keyword_cache 10000 100000 \\
        [--corpus-index ~/.local/share/survey-rag/index] [--json out.json]

Kiwi is loaded before the starts are timed: the first Korean question loads it anyway. The passages
are ``synthetic_texts`` of the corpus passages (5% Korean, as the bench); they come from the index at
``--corpus-index`` when given, else the corpus is loaded and chunked (minutes: Kiwi).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Sequence

from core.settings import Settings
from ingest.chunk import chunk_document
from ingest.index import Index, open_index
from ingest.load import load_document
from ingest.types import Chunk
from rag.keyword_store import KeywordStore
from rag.keywords import tokenize
from rag.retrieve import HybridRetriever
from survey_rag.bench.synthetic import synthetic_texts, write_synthetic_index

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class KeywordCacheTimes:
    passages: int
    first_s: float
    second_s: float
    changed_s: float
    cache_mb: float


def measure_keyword_cache(corpus_chunks: Sequence[Chunk], n: int, korean_share: float = 0.05) -> KeywordCacheTimes:
    texts = synthetic_texts(corpus_chunks, n, korean_share)
    with tempfile.TemporaryDirectory(prefix="survey-rag-keyword-cache-") as tmp:
        written = Settings.load(overrides={"data_dir": Path(tmp) / "synthetic"}, environ={})
        write_synthetic_index(written, Path(tmp) / "documents", n, 8, texts, [1], "bench")
        base = open_index(written.index_dir)
        first_doc = base.chunks[0].doc_id
        changed_chunks = tuple(dataclasses.replace(c, text=c.text + " changed") if c.doc_id == first_doc else c
                               for c in base.chunks)
        index_dir, root = Path(tmp) / "index", Path(tmp) / "keyword-cache"
        first = _version(base, index_dir, "v1", base.chunks)
        changed = _version(base, index_dir, "v2", changed_chunks)
        first_s = _start(first, KeywordStore(root, index_dir))
        second_s = _start(first, KeywordStore(root, index_dir))
        changed_s = _start(changed, KeywordStore(root, index_dir))
        cache_mb = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 1e6
    return KeywordCacheTimes(n, first_s, second_s, changed_s, cache_mb)


def _version(base: Index, index_dir: Path, name: str, chunks: tuple[Chunk, ...]) -> Index:
    """``base`` as the index version ``name``, with a folder of that name for the store's clean-up to see."""
    (index_dir / name).mkdir(parents=True)
    return dataclasses.replace(base, version=name, path=index_dir / name, chunks=chunks)


def _start(index: Index, store: KeywordStore) -> float:
    started = time.perf_counter()
    _ = HybridRetriever(index, embedder=None, keyword_store=store).keyword_index
    return time.perf_counter() - started


def corpus_chunks(settings: Settings, index_dir: Path | None) -> list[Chunk]:
    if index_dir is not None:
        return list(open_index(index_dir).chunks)
    return [c for p in sorted(settings.corpus_dir.glob("*.txt"))
            for c in chunk_document(load_document(p, int(settings.max_file_mb * 1e6)),
                                    settings.chunk_max_tokens, settings.chunk_overlap_sentences)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("passages", nargs="+", type=int)
    parser.add_argument("--corpus-index", type=Path, help="an index folder to draw the passages' words from")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    chunks = corpus_chunks(Settings.load(), args.corpus_index)
    started = time.perf_counter()
    tokenize("모델")  # Kiwi loads once per process whether or not the index is cached (the first Korean question)
    print(f"Kiwi loaded in {time.perf_counter() - started:.1f} s (not counted)", flush=True)
    results = []
    for n in args.passages:
        times = measure_keyword_cache(chunks, n)
        results.append(dataclasses.asdict(times))
        print(f"{n:>7,} passages: first start {times.first_s:7.1f} s, second {times.second_s:5.2f} s, "
              f"one document changed {times.changed_s:6.1f} s, cache {times.cache_mb:.0f} MB", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
