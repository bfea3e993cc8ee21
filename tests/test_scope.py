"""Questions scoped to chosen documents: the retriever and the pipeline search only those
(real FAISS index, the small embedder all-MiniLM-L6-v2 and the small llama.cpp model)."""

from __future__ import annotations

import json

import pytest

from conftest import make_settings
from core.errors import UserFacingError
from ingest.index import open_index
from ingest.pipeline import ingest_paths
from rag.pipeline import RagPipeline
from rag.retrieve import HybridRetriever
from rag.types import AnswerEvent, SourcesEvent
from rag.scope import resolve_documents

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


def _cli(settings, *args: str) -> list[str]:
    return ["ask", "--data-dir", str(settings.data_dir), "--embedding-model", "all-minilm-l6-v2",
            "--llm-model", "smollm2-135m-instruct-q4_1", *args]


@pytest.mark.timeout(300)
def test_ask_doc_restricts_the_cli_answer_to_the_named_documents(scoped, capsys, caplog, monkeypatch):
    settings, _, ids, _ = scoped
    monkeypatch.setenv("SURVEY_RAG_EMBEDDING_CACHE_FILE", str(settings.embedding_cache_file))
    from survey_rag.cli import main

    # one by file name, one by a title substring: the terns, the best match unscoped, are left out
    rc = main(_cli(settings, "How far do Arctic terns migrate each year?", "--json",
                   "--doc", "reefs.md", "--doc", "distill"))
    assert rc == 0
    answer = json.loads(capsys.readouterr().out)
    cited = {h["document"] for h in answer["nearest"]} | {c["document"] for c in answer["citations"]}
    assert cited and cited <= {"Coral reefs", "Model distillation"}

    rc = main(_cli(settings, "How far do Arctic terns migrate?", "--doc", ids["Tern migration"], "--doc", "nowhere.pdf"))
    assert rc == 1
    assert "--doc 'nowhere.pdf': no indexed document" in caplog.text


def test_resolve_documents_matches_ids_file_names_and_title_substrings(scoped):
    _, index, ids, _ = scoped
    assert resolve_documents([ids["Coral reefs"]], index.documents) == [ids["Coral reefs"]]
    assert resolve_documents(["TERNS.MD", "model dist"], index.documents) == [ids["Tern migration"],
                                                                              ids["Model distillation"]]
    with pytest.raises(UserFacingError, match="'whales'"):
        resolve_documents(["whales"], index.documents)
