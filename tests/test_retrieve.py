"""Retrieval: the passages of the sentences nearest the question compete with the nearest passages
(real FAISS index and the small embedder all-MiniLM-L6-v2)."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import make_settings
from ingest.index import open_index
from ingest.pipeline import ingest_paths
from rag.retrieve import HybridRetriever, RetrievalConfig

FINDINGS = ("# Findings\n\nGPU hours dominate the cost of pre-training. Tokenizers with larger vocabularies shorten "
            "sequences. Mixture-of-experts layers route each token to two experts. Quantisation to four bits halves "
            "memory again. Arctic terns migrate from the Arctic to the Antarctic and back every year. Longer contexts "
            "need more memory for attention.\n")
DOCS = {
    "findings.md": FINDINGS,  # one sentence answers; the passage is about other things
    "seabirds.md": "# Seabirds\n\nSeabirds such as gulls and terns nest on rocky coasts. Gulls eat fish and scraps. "
                   "Many seabirds live for decades.\n",
    "reefs.md": "# Coral reefs\n\nCoral reefs grow slowly in warm shallow seas and shelter many fish.\n",
}
QUESTION = "How far do Arctic terns migrate each year?"


@pytest.fixture(scope="module")
def index(tmp_path_factory, small_embedder):
    folder = tmp_path_factory.mktemp("retrieve")
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(folder / "data", embedding_model="all-minilm-l6-v2", corpus_dir=corpus)
    assert ingest_paths([corpus], settings, embedder=small_embedder).ok
    return open_index(settings.index_dir)


def _titles(index, embedder, config, documents=None) -> list[str]:
    return [h.document.title for h in HybridRetriever(index, embedder, config).search(QUESTION, 2, documents=documents)]


def test_the_passage_of_the_sentence_nearest_the_question_competes_and_ranks_by_it(index, small_embedder):
    # One candidate from the passage vectors, no keywords: only the nearest sentences can bring in another.
    narrow = RetrievalConfig(candidate_k=1, keyword_boost=0)
    assert _titles(index, small_embedder, dataclasses.replace(narrow, sentence_candidates=0)) == ["Seabirds"]
    assert _titles(index, small_embedder, narrow)[0] == "Findings"  # its best sentence is the answer
    # Scoped to other documents, the nearest sentence's passage stays out.
    reefs = frozenset(d.doc_id for d in index.documents.values() if d.title == "Coral reefs")
    assert _titles(index, small_embedder, narrow, reefs) == ["Coral reefs"]


def test_a_passage_scores_at_least_its_best_sentence_less_the_margin(index, small_embedder):
    config = RetrievalConfig()
    hits = HybridRetriever(index, small_embedder, config).search(QUESTION, 3)
    findings = next(h for h in hits if h.document.title == "Findings")
    best = float((index.sentence_vectors_of(findings.row) @ small_embedder.encode_queries([QUESTION])[0]).max())
    assert findings.dense >= best - config.sentence_margin - 1e-3


def test_a_passage_ending_inside_the_list_it_announces_is_followed_by_the_rest_of_it(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder, the pipeline's retriever): the Korean practical guide's passage
    announcing the three challenges of real-world "tasks" ends with the first; the passage holding the other two
    comes right after it (it ranked 7th on its own), the last of the five giving way."""
    from rag.evidence import list_runs_on
    from rag.pipeline import RagPipeline

    retriever = RagPipeline(corpus_settings, embedder).retriever()
    hits = retriever.search("Le guide dit que les « tâches » du monde réel posent trois défis. Lesquels ?", 5)
    assert len(hits) == 5
    at = next(n for n, h in enumerate(hits) if "다음 세 가지 측면에서 비롯됩니다" in h.chunk.text)
    assert list_runs_on(hits[at].chunk) and at < 4
    after = hits[at + 1]
    assert "학계에서 공식화하지 않은 과제" in after.chunk.text and after.row == hits[at].row + 1
    assert after.score == hits[at].score
