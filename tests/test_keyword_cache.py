"""The keyword cache: a saved keyword index scores as a fresh build, is read only by its own index version
and tokenizer, is rebuilt when unreadable and appears whole or not at all; stored tokens spare re-tokenising."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest

import rag.keyword_store as store_mod
from ingest.index import IndexedDocument, collect_garbage, open_index, write_version
from ingest.types import Chunk
from rag.keyword_index import KeywordIndex
from rag.keyword_store import KeywordStore, keyword_fingerprint
from rag.pipeline import RagPipeline
from rag.retrieve import HybridRetriever
from conftest import make_settings

TEXTS = [
    "LIMA aligns a language model with 1,000 curated examples.",
    "Chinchilla scaling laws balance parameters against training tokens.",
    "HyperCLOVA는 한국어 초거대 언어 모델이다.",
    "파인튜닝하면 모델이 특정 과제에 맞춰진다.",
    "Distillation trains a small student model from a large teacher model.",
    "La distillation entraîne un petit modèle élève.",
    "Prompting steers a model without changing its weights.",
    "Retrieval augmented generation grounds a model in documents.",
    "...",
]
QUERIES = ["What is LIMA?", "HyperCLOVA는 무엇인가?", "파인튜닝", "Qu'est-ce que la distillation ?", "Chinchilla tokens"]


def _write(index_dir, texts):
    chunks = [Chunk(f"c{i}", f"d{i}", t, 0, len(t), "en", sentences=((0, len(t)),)) for i, t in enumerate(texts)]
    docs = [IndexedDocument(f"d{i}", f"/corpus/d{i}.txt", f"Doc {i}", ("en",), "", f"h{i}", 1, 0.0)
            for i in range(len(texts))]
    vectors = np.eye(len(texts), 4, dtype=np.float32) + 0.1
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    write_version(index_dir, docs, chunks, vectors, "m", vectors)
    return open_index(index_dir)


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def store(tmp_path, index_dir):
    return KeywordStore(tmp_path / "keyword-cache", index_dir)


@pytest.fixture
def tokenised(monkeypatch):
    """The texts the store tokenises, in order."""
    seen: list[str] = []
    real = store_mod.tokenize
    monkeypatch.setattr(store_mod, "tokenize", lambda text: seen.append(text) or real(text))
    return seen


def _scores(keyword: KeywordIndex) -> list[np.ndarray]:
    return [keyword.scores(q) for q in QUERIES]


def test_a_cache_hit_scores_exactly_as_a_fresh_build(store, index_dir, tokenised, monkeypatch):
    index = _write(index_dir, TEXTS)
    fresh = _scores(KeywordIndex.from_texts(TEXTS))
    built = HybridRetriever(index, None, keyword_store=store).keyword_index
    assert len(tokenised) == len(TEXTS)
    monkeypatch.setattr(KeywordIndex, "from_tokens", lambda *a, **k: pytest.fail("rebuilt despite the cache"))
    loaded = HybridRetriever(index, None, keyword_store=store).keyword_index
    assert any(s.any() for s in fresh)
    for a, b, c in zip(_scores(loaded), _scores(built), fresh):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, c)
    assert [loaded.rare_terms(q) for q in QUERIES] == [built.rare_terms(q) for q in QUERIES]


def test_a_new_version_tokenises_only_its_new_passages_and_reuses_no_other_entry(store, index_dir, tokenised):
    first = _write(index_dir, TEXTS)
    store.keyword_index(first)
    tokenised.clear()
    changed = [*TEXTS[:-1], "Quantisation shrinks a model to 4-bit weights."]
    second = _write(index_dir, changed)
    keyword = store.keyword_index(second)
    assert tokenised == [changed[-1]]
    np.testing.assert_array_equal(keyword.scores("4-bit quantisation"),
                                  KeywordIndex.from_texts(changed).scores("4-bit quantisation"))
    assert {p.name for p in store.root.iterdir()} == {f"{v.version}-{keyword_fingerprint()}" for v in (first, second)} | {
        "tokens.sqlite"}


def test_another_tokenizer_fingerprint_reuses_nothing_and_drops_the_old_entries(store, index_dir, tokenised,
                                                                                 monkeypatch):
    index = _write(index_dir, TEXTS)
    store.keyword_index(index)
    tokenised.clear()
    monkeypatch.setattr(store_mod, "keyword_fingerprint", lambda: "0123456789abcdef")
    store.keyword_index(index)
    assert tokenised == TEXTS
    assert {p.name for p in store.root.iterdir()} == {f"{index.version}-0123456789abcdef", "tokens.sqlite"}


def test_the_entries_of_versions_gone_from_the_index_folder_are_deleted(store, index_dir):
    versions = [_write(index_dir, TEXTS[: n]) for n in (7, 8, 9)]
    for v in versions[:2]:
        store.keyword_index(v)
    collect_garbage(index_dir)  # keeps the live version and the one before: the first is gone
    assert not (index_dir / versions[0].version).exists()
    store.keyword_index(versions[2])
    assert sorted(p.name.split("-")[0] for p in store.root.iterdir() if p.is_dir()) == sorted(
        v.version.split("-")[0] for v in versions[1:])


@pytest.mark.parametrize("damage", ["vocab.index.json", "data.csc.index.npy", "manifest.json"])
def test_an_unreadable_entry_is_rebuilt_with_a_warning(store, index_dir, damage, caplog):
    index = _write(index_dir, TEXTS)
    store.keyword_index(index)
    entry = store.root / f"{index.version}-{keyword_fingerprint()}"
    (entry / damage).write_bytes((entry / damage).read_bytes()[: 20])
    with caplog.at_level(logging.WARNING, logger="rag.keyword_store"):
        rebuilt = store.keyword_index(index)
    assert f"keyword cache {entry} is unreadable" in caplog.text
    for a, b in zip(_scores(rebuilt), _scores(KeywordIndex.from_texts(TEXTS))):
        np.testing.assert_array_equal(a, b)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rag.keyword_store"):
        store.keyword_index(index)  # the rewritten entry loads
    assert caplog.text == ""


def test_an_entry_is_renamed_into_place_whole_and_a_failed_write_leaves_nothing(store, index_dir, monkeypatch,
                                                                               caplog):
    index = _write(index_dir, TEXTS)
    entry = store.root / f"{index.version}-{keyword_fingerprint()}"
    real_save = KeywordIndex.save

    def save_then_fail(self, folder):
        real_save(self, folder)
        assert not entry.exists()  # written elsewhere first
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(KeywordIndex, "save", save_then_fail)
    with caplog.at_level(logging.WARNING, logger="rag.keyword_store"):
        keyword = store.keyword_index(index)
    assert "cannot write keyword cache" in caplog.text and "No space left on device" in caplog.text
    assert keyword.rare_terms("What is LIMA?") == ["lima"]  # answers from memory meanwhile
    assert [p.name for p in store.root.iterdir()] == ["tokens.sqlite"]


def test_a_dead_writers_leftover_is_deleted_and_a_live_ones_kept(store, index_dir):
    index = _write(index_dir, TEXTS)
    store.root.mkdir(parents=True)
    dead, live = store.root / "tmp-999999999-abcdef", store.root / f"tmp-{os.getpid()}-abcdef"
    for leftover in (dead, live):
        leftover.mkdir()
        (leftover / "vocab.index.json").write_text("{", encoding="utf-8")
    store.keyword_index(index)
    assert not dead.exists() and live.exists()
    shutil.rmtree(live)


def test_the_pipeline_keeps_its_keyword_indexes_in_the_data_folder(tmp_path):
    settings = make_settings(tmp_path / "data")
    _write(settings.index_dir, TEXTS)
    from types import SimpleNamespace

    retriever = RagPipeline(settings, embedder=SimpleNamespace(model_id="m")).retriever()  # the index's model
    assert retriever.keyword_store == KeywordStore(tmp_path / "data" / "keyword-cache", settings.index_dir)


def test_the_keyword_cache_bench_measures_three_starts_over_a_written_synthetic_index():
    from survey_rag.bench.keyword_cache import measure_keyword_cache

    corpus = [Chunk(chunk_id=f"c{i}", doc_id="d", text=f"Passage {i} on instruction tuning and distillation.",
                    start=0, end=10, language="en", ordinal=i) for i in range(5)]
    times = measure_keyword_cache(corpus, 60, korean_share=0.0)
    assert times.passages == 60 and times.cache_mb > 0
    assert min(times.first_s, times.second_s, times.changed_s) > 0
