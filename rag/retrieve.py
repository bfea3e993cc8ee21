"""Hybrid retrieval: dense EmbeddingGemma search, boosted by language-aware BM25.

Most questions are cross-lingual or paraphrased, where keyword hits are noise,
so dense similarity ranks and keywords only add a bounded boost
(``fusion.dense_with_keyword_boost``); keyword-only candidates are scored
densely too before they compete. The dense query spells out the rare acronyms
the documents define (``rag.acronyms``). Overlapping chunks of one document are
collapsed so the top k shows distinct passages.

Example:
    >>> retriever = HybridRetriever(index, embedder)  # doctest: +SKIP
    >>> [h.document.title for h in retriever.search("Quand faut-il distiller un modèle ?", k=3)]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from ingest.embed_cache import TextEmbedder
from ingest.index import Index
from rag.acronyms import AcronymGlossary
from rag.evidence import list_runs_on
from rag.fusion import dense_with_keyword_boost
from rag.keyword_index import KeywordIndex
from rag.keyword_store import KeywordStore
from rag.types import Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievalConfig:
    candidate_k: int = 30
    keyword_boost: float = 0.02
    sentence_weight: float = 0.1  # share of the best sentence's similarity in the dense score
    # The passages of the sentences nearest the question compete too, and a passage scores at least its best
    # sentence's similarity less ``sentence_margin``: a finding stated in one sentence of a passage about
    # other things (the overview's per-model findings tables) was out of reach when the passage vector
    # ranked 21st-88th, though the sentence was the corpus's nearest to the question (docs/EVALUATION.md).
    sentence_candidates: int = 5
    sentence_margin: float = 0.05
    # An exact scan of the sentence vectors: about 0.1 s a question at 50,000 sentences (~10,000 passages) on
    # the 2-core machine, 0.5 s at 200,000 (docs/SCALING.md); beyond it, the passage vectors alone find candidates.
    max_sentence_scan: int = 50_000
    keyword_only_candidates: bool = True  # let BM25 bring in passages dense search did not find
    max_overlap: float = 0.5  # drop a hit sharing more than this share of characters with a better one


class HybridRetriever:
    """Dense + keyword retrieval over one opened ``Index``; its keyword index is loaded from
    ``keyword_store`` (or built and saved there), or built in memory without one."""

    def __init__(self, index: Index, embedder: TextEmbedder, config: RetrievalConfig | None = None,
                 keyword_store: KeywordStore | None = None):
        self.index = index
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.keyword_store = keyword_store
        self._keyword: KeywordIndex | None = None
        self._glossary: AcronymGlossary | None = None
        self._lazy_lock = threading.Lock()

    @property
    def keyword_index(self) -> KeywordIndex:
        with self._lazy_lock:
            if self._keyword is None:
                self._keyword = (self.keyword_store.keyword_index(self.index) if self.keyword_store
                                 else KeywordIndex.from_texts([c.text for c in self.index.chunks]))
            return self._keyword

    @property
    def glossary(self) -> AcronymGlossary:
        with self._lazy_lock:
            if self._glossary is None:
                self._glossary = AcronymGlossary.from_texts([c.text for c in self.index.chunks])
            return self._glossary

    def embed_query(self, question: str) -> np.ndarray:
        """The dense search vector: ``question`` with the documents' rare acronyms spelled out."""
        return self.embedder.encode_queries([self.glossary.expand(question)])[0]

    def query_vectors(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(``question``'s own vector, its search vector); one vector twice when no acronym is spelled out.
        Evidence and the refusal threshold use the first: they judge what was asked."""
        expanded = self.glossary.expand(question)
        if expanded == question:
            vec = self.embedder.encode_queries([question])[0]
            return vec, vec
        # One at a time: the int8 embedder scales activations per batch, so a question embedded beside its
        # spelled-out form came out slightly unlike the same question alone (and ranked passages 4 and 5
        # the other way round).
        return self.embedder.encode_queries([question])[0], self.embedder.encode_queries([expanded])[0]

    def dense(self, query_vec: np.ndarray, k: int) -> dict[int, float]:
        return dict(self.index.search(query_vec, k))

    def keyword(self, question: str, k: int) -> dict[int, float]:
        scores = self.keyword_index.scores(question)
        if not scores.any():
            return {}
        top = np.argsort(-scores)[:k]
        return {int(r): float(scores[r]) for r in top if scores[r] > 0}

    def scoped_dense(self, query_vec: np.ndarray, k: int, documents: frozenset[str]) -> dict[int, float]:
        """Dense search among the passages of ``documents`` (doc ids) only: exact, over their rows."""
        rows = [row for row, chunk in enumerate(self.index.chunks) if chunk.doc_id in documents]
        if not rows:
            return {}
        scores = self.index.vectors_of(rows) @ query_vec
        return {rows[i]: float(scores[i]) for i in np.argsort(-scores)[:k]}

    def search(self, question: str, k: int = 5, query_vec: np.ndarray | None = None,
               documents: frozenset[str] | None = None) -> list[Hit]:
        """The ``k`` best distinct passages for ``question`` (``query_vec``: its search vector),
        from the documents whose ids are in ``documents`` only when it is given."""
        if not self.index.chunks:
            return []
        cfg = self.config
        query_vec = self.embed_query(question) if query_vec is None else query_vec
        if documents is None:
            dense = self.dense(query_vec, cfg.candidate_k)
            keyword = self.keyword(question, cfg.candidate_k) if cfg.keyword_boost > 0 else {}
        else:
            dense = self.scoped_dense(query_vec, cfg.candidate_k, documents)
            keyword = self.keyword(question, len(self.index.chunks)) if cfg.keyword_boost > 0 else {}
            keyword = dict(sorted(((r, v) for r, v in keyword.items() if self.index.chunks[r].doc_id in documents),
                                  key=lambda rv: -rv[1])[: cfg.candidate_k])
        if len(self.index.sentence_vectors) <= cfg.max_sentence_scan:
            led = [row for row, _ in self.index.nearest_sentences(query_vec, cfg.sentence_candidates)
                   if row not in dense and (documents is None or self.index.chunks[row].doc_id in documents)]
            if led:
                dense.update(zip(led, (self.index.vectors_of(led) @ query_vec).tolist()))
        if not cfg.keyword_only_candidates:
            keyword = {r: v for r, v in keyword.items() if r in dense}
        missing = [r for r in keyword if r not in dense]
        if missing:
            dense.update(zip(missing, (self.index.vectors_of(missing) @ query_vec).tolist()))
        if cfg.sentence_weight > 0:
            dense = {row: self._with_best_sentence(row, score, query_vec) for row, score in dense.items()}
        ranked = dense_with_keyword_boost(dense, keyword, cfg.keyword_boost)
        hits: list[Hit] = []
        for row, score in ranked:
            chunk = self.index.chunks[row]
            if any(_overlap(chunk, h.chunk) > cfg.max_overlap for h in hits):
                continue
            hits.append(
                Hit(chunk=chunk, document=self.index.document_of(chunk), score=score,
                    dense=dense[row], keyword=keyword.get(row, 0.0), row=row)
            )
            if len(hits) == k:
                break
        return self._lists_continued(hits, query_vec, k)

    def _lists_continued(self, hits: list[Hit], query_vec: np.ndarray, k: int) -> list[Hit]:
        """``hits`` with the passage after each one that ends inside the list it announces
        (``rag.evidence.list_runs_on``) right after it, the last hits giving way: "which three?" is answered
        by the items, and the practical guide's Korean passage announcing its three challenges held only the
        first; the other two ranked 7th for the question that asked for them (dev-109)."""
        continued: list[Hit] = []
        for hit in hits:
            continued.append(hit)
            row = hit.row + 1
            if not list_runs_on(hit.chunk) or row >= len(self.index.chunks) or any(h.row == row for h in hits):
                continue
            chunk = self.index.chunks[row]
            if chunk.doc_id != hit.chunk.doc_id or chunk.start > hit.chunk.end + 1:
                continue
            dense = float(self.index.vectors_of([row])[0] @ query_vec)
            continued.append(Hit(chunk=chunk, document=self.index.document_of(chunk), score=hit.score, dense=dense,
                                 row=row))
        return continued[:k]


    def _with_best_sentence(self, row: int, passage_score: float, query_vec: np.ndarray) -> float:
        """Blend the passage's similarity with its best sentence's, and take at least the best sentence's less
        ``sentence_margin``: one sentence that answers the question should count even when the rest of the
        passage is about something else."""
        sentences = self.index.sentence_vectors_of(row)
        best = float((sentences @ query_vec).max()) if len(sentences) else passage_score
        w = self.config.sentence_weight
        return max((1 - w) * passage_score + w * best, best - self.config.sentence_margin)


def _overlap(a, b) -> float:
    """Share of the shorter chunk's characters that two chunks of one document have in common."""
    if a.doc_id != b.doc_id:
        return 0.0
    shared = min(a.end, b.end) - max(a.start, b.start)
    return max(0, shared) / max(1, min(a.end - a.start, b.end - b.start))
