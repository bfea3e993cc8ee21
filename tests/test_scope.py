"""Questions scoped to chosen documents: the retriever and the pipeline search only those
(real FAISS index, the small embedder all-MiniLM-L6-v2 and the small llama.cpp model)."""

from __future__ import annotations

import pytest

from conftest import make_settings
from ingest.index import open_index
from ingest.pipeline import ingest_paths
from rag.pipeline import RagPipeline
from rag.retrieve import HybridRetriever
from rag.types import AnswerEvent, SourcesEvent

DOCS = {
    "terns.md": "# Tern migration\n\nArctic terns fly from the Arctic to the Antarctic and back every year. "
                "Their migration is the longest of any bird.\n",
    "distill.md": "# Model distillation\n\nDistillation trains a small student model to imitate a large teacher. "
                  "The student keeps most of the teacher's accuracy at a fraction of its size.\n",
    "reefs.md": "# Coral reefs\n\nCoral reefs grow slowly in warm shallow seas and shelter many fish.\n",
}


@pytest.fixture(scope="module")
def scoped(tmp_path_factory, small_embedder, small_generator):
    folder = tmp_path_factory.mktemp("scope")
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(folder / "data", embedding_model="all-minilm-l6-v2", corpus_dir=corpus)
    assert ingest_paths([corpus], settings, embedder=small_embedder).ok
    index = open_index(settings.index_dir)
    ids = {d.title: d.doc_id for d in index.documents.values()}
    return settings, index, ids, RagPipeline(settings, small_embedder, small_generator)


def test_a_scoped_search_returns_passages_of_the_chosen_documents_only(scoped, small_embedder):
    _, index, ids, _ = scoped
    retriever = HybridRetriever(index, small_embedder)
    question = "How far do Arctic terns migrate?"
    assert retriever.search(question, 3)[0].document.title == "Tern migration"  # unscoped: the terns
    only = frozenset({ids["Coral reefs"], ids["Model distillation"]})
    hits = retriever.search(question, 3, documents=only)
    assert hits and {h.document.doc_id for h in hits} <= only
    assert retriever.search(question, 3, documents=frozenset()) == []


@pytest.mark.timeout(300)
def test_a_scoped_question_its_documents_do_not_answer_is_refused_with_their_passages(scoped):
    _, _, ids, pipeline = scoped
    events = list(pipeline.stream("How far do Arctic terns migrate each year?", documents=[ids["Coral reefs"]]))
    sources = next(e for e in events if isinstance(e, SourcesEvent))
    answer = next(e for e in events if isinstance(e, AnswerEvent)).answer
    assert {h.document.title for h in sources.hits} == {"Coral reefs"}
    assert answer.refused and answer.hits and {h.document.title for h in answer.hits} == {"Coral reefs"}
