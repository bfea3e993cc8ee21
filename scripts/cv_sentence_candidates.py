"""Retrieval with the passages of the sentences nearest the question as candidates (``RetrievalConfig.
sentence_candidates``) and a passage scored at least by its best sentence less a margin (``sentence_margin``):
recall@5 and MRR@10 over a grid of both, and the 5-fold cross-validated figure of choosing them on the dev set
(for each fold, the grid point with the best recall@5, then MRR@10, on the other four folds is measured on it).
The real retriever over the live index; the question vectors are computed once. No model but the embedder runs.

    SURVEY_RAG_DATA_DIR=/tmp/evaldata .venv/bin/python scripts/cv_sentence_candidates.py [dev.jsonl]
"""
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import Settings  # noqa: E402
from rag.calibrate import Record, assign_folds  # noqa: E402
from rag.evaluate import first_hit_rank, load_items, retrieval_metrics  # noqa: E402
from rag.pipeline import RagPipeline  # noqa: E402

# (sentence candidates, margin): the shipped retrieval before this option is (0, 1.0).
GRID = [(0, 1.0)] + [(m, d) for m in (3, 5, 10, 20) for d in (0.0, 0.025, 0.05, 0.075, 0.1, 0.15)]


def figures(ranks) -> tuple[float, float]:
    m = retrieval_metrics(ranks)
    return m["recall@5"], m["mrr@10"]


def main(path: str) -> None:
    retriever = RagPipeline.from_settings(Settings.load()).retriever()
    items = [i for i in load_items(Path(path)) if i.answerable]
    vectors = [retriever.query_vectors(i.question)[1] for i in items]
    shipped = retriever.config
    ranks = {}
    for m, d in GRID:
        retriever.config = dataclasses.replace(shipped, sentence_candidates=m, sentence_margin=d)
        ranks[(m, d)] = [first_hit_rank(retriever.search(i.question, 10, v), i.gold) for i, v in zip(items, vectors)]
        print(f"candidates {m:2d} margin {d:.3f}: recall@5 {figures(ranks[(m, d)])[0]:.3f} "
              f"MRR@10 {figures(ranks[(m, d)])[1]:.3f}", flush=True)
    pooled, picks = {}, []
    for fold in assign_folds([Record(i.id, True, {}) for i in items], 5):
        held = {r.id for r in fold}
        train = [k for k, i in enumerate(items) if i.id not in held]
        best = max(GRID, key=lambda g: figures([ranks[g][k] for k in train]))
        picks.append(best)
        pooled.update((i.id, ranks[best][k]) for k, i in enumerate(items) if i.id in held)
    cv = figures([pooled[i.id] for i in items])
    print(f"5-fold CV (folds chose {picks}): recall@5 {cv[0]:.3f} MRR@10 {cv[1]:.3f}")
    default = (shipped.sentence_candidates, shipped.sentence_margin)
    print(f"shipped ({default[0]}, {default[1]}): recall@5 {figures(ranks[default])[0]:.3f} "
          f"MRR@10 {figures(ranks[default])[1]:.3f}" if default in ranks else f"shipped {default} is not on the grid")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "survey_rag/data/dev.jsonl")
