"""Resident memory of the chat process, stage by stage (how docs/BENCHMARKS.md's memory rows were found).

    SURVEY_RAG_DATA_DIR=<a data folder with an index> .venv/bin/python scripts/measure_memory.py

Prints RSS split into anonymous and file-backed memory after each stage, from /proc/self/smaps_rollup.
"""

from __future__ import annotations

import logging


def report(label: str) -> None:
    fields = {}
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if parts[0] in ("Rss:", "Anonymous:"):
                fields[parts[0]] = int(parts[1]) / 1e6  # kB -> GB
    rss, anon = fields["Rss:"], fields["Anonymous:"]
    logging.info("%-26s RSS %.2f GB (anonymous %.2f, file-backed %.2f)", label, rss, anon, rss - anon)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("sentence_transformers", "faiss", "bm25s", "ingest", "rag", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    report("start")
    from core.text import kiwi
    from ingest.embed import Embedder
    from rag.llm.factory import load_generator
    from rag.pipeline import RagPipeline
    from core.settings import Settings

    settings = Settings.load()
    embedder = Embedder.load(settings)
    embedder.encode_queries(["warm up"])
    report("embedder")
    kiwi().tokenize("형태소 분석기")
    report("Kiwi")
    generator = load_generator(settings)
    report("LLM")
    pipeline = RagPipeline(settings, embedder, generator)
    pipeline.warm_up()
    report("warm-up")
    for question in ("디코더 전용 모델이 왜 주류가 되었나?", "Quand faut-il distiller un modèle ?"):
        pipeline.answer(question)
        report("after answering")


if __name__ == "__main__":
    main()
