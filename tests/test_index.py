"""The versioned index: write/open round trip, integrity checks, atomic switch, garbage collection, lock."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from ingest import index as index_mod
from ingest.index import (
    LOCK,
    POINTER,
    IndexedDocument,
    IndexStoreError,
    IngestLock,
    IngestLockedError,
    NoIndexError,
    collect_garbage,
    current_version,
    integrity_problems,
    open_index,
    sentence_hubness,
    write_next_version,
    write_version,
)
from ingest.types import Chunk
from tests.conftest import CORPUS, make_settings

DIM = 8


def _data(n_docs: int = 2, per_doc: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    docs, chunks = [], []
    for d in range(n_docs):
        doc_id = f"doc{d}"
        docs.append(IndexedDocument(doc_id, f"/corpus/{doc_id}.txt", f"Title {d}", ("ko", "en"), f"00{d}_seed.txt",
                                    f"hash{d}", per_doc, 1000.0 + d, description=f"Notes of team {d}"))
        for k in range(per_doc):
            text = f"문장 {d}-{k}입니다. Second sentence {k}."
            chunks.append(Chunk(f"c{d}{k}", doc_id, text, k * 50, k * 50 + len(text), "ko", f"Heading {k}",
                                None if d else k + 1, k, sentences=((0, 10), (11, len(text)))))
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentence_vectors = rng.normal(size=(2 * len(chunks), DIM)).astype(np.float32)
    return docs, chunks, vectors, sentence_vectors


def _write(index_dir, seed: int = 0, **kw):
    docs, chunks, vectors, sentence_vectors = _data(seed=seed, **kw)
    return write_version(index_dir, docs, chunks, vectors, "model:abc", sentence_vectors), (docs, chunks, vectors)


def test_round_trip(tmp_path):
    index_dir = tmp_path / "index"
    name, (docs, chunks, vectors) = _write(index_dir)
    assert current_version(index_dir) == name
    index = open_index(index_dir)
    assert index.version == name and index.path == index_dir / name
    assert index.embedding_model == "model:abc" and index.dim == DIM
    assert index.chunks == tuple(chunks)  # every field, page None included, survives
    assert index.documents == {d.doc_id: d for d in docs}
    assert integrity_problems(index) == []
    np.testing.assert_allclose(index.vectors_of([0, 4]), vectors[[0, 4]], rtol=1e-6)
    assert index.vectors_of([]).shape == (0, DIM)
    # search returns rows by inner product: a chunk's own vector is its best match
    rows = index.search(vectors[4], k=3)
    assert rows[0][0] == 4 and rows[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(rows) == 3 and rows[0][1] >= rows[1][1] >= rows[2][1]
    assert index.document_of(index.chunks[4]).title == "Title 1"
    manifest = json.loads((index_dir / name / "manifest.json").read_text())
    assert (manifest["documents"], manifest["chunks"], manifest["dim"]) == (2, 6, DIM)


def test_a_version_written_before_descriptions_still_opens_describing_nothing(tmp_path):
    index_dir = tmp_path / "index"
    name, (docs, _, _) = _write(index_dir)
    with sqlite3.connect(index_dir / name / "meta.sqlite") as db:  # as versions before session 63 were written
        db.execute("ALTER TABLE documents DROP COLUMN description")
    index = open_index(index_dir)
    assert index.documents == {d.doc_id: dataclasses.replace(d, description="") for d in docs}
    assert integrity_problems(index) == []


def test_sentence_vectors_are_float16_and_memory_mapped(tmp_path):
    index_dir = tmp_path / "index"
    name, _ = _write(index_dir)
    sentence_vectors = _data()[3]
    assert np.load(index_dir / name / "sentences.npy").dtype == np.float16
    assert json.loads((index_dir / name / "manifest.json").read_text())["sentence_dtype"] == "float16"
    index = open_index(index_dir)
    assert isinstance(index.sentence_vectors, np.memmap) and index.sentence_vectors.dtype == np.float16
    got = index.sentence_vectors_of(4)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, sentence_vectors[8:10], atol=2e-3)  # float16 keeps ~3 decimal digits
    np.testing.assert_array_equal(index.sentence_vectors_of_rows([4, 1]), index.sentence_vectors[[8, 9, 2, 3]])


def test_a_float32_version_written_before_float16_still_opens(tmp_path):
    index_dir = tmp_path / "index"
    name, _ = _write(index_dir)
    sentence_vectors = _data()[3]
    np.save(index_dir / name / "sentences.npy", sentence_vectors)  # as versions before issue 19 stored them
    manifest_path = index_dir / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["sentence_dtype"], manifest["dead_vectors"]
    manifest_path.write_text(json.dumps(manifest))
    index = open_index(index_dir)
    assert index.sentence_vectors.dtype == np.float32 and integrity_problems(index) == []
    np.testing.assert_array_equal(index.sentence_vectors_of(4), sentence_vectors[8:10])


def test_sentence_hubness_is_stored_with_the_version_and_computed_for_one_written_before(tmp_path):
    index_dir = tmp_path / "index"
    docs, chunks, vectors, _ = _data(n_docs=4, per_doc=4)
    rng = np.random.default_rng(1)
    sentence_vectors = rng.normal(size=(2 * len(chunks), DIM)).astype(np.float32)
    sentence_vectors[5] = sentence_vectors.mean(axis=0)  # the sentence at the centre of the others
    sentence_vectors /= np.linalg.norm(sentence_vectors, axis=1, keepdims=True)
    name = write_version(index_dir, docs, chunks, vectors, "model:abc", sentence_vectors)
    stored = np.load(index_dir / name / "hubness.npy")
    index = open_index(index_dir)
    assert stored.shape == (32,) and int(np.argmax(stored)) == 5 and float(np.median(stored)) == pytest.approx(0.0)
    np.testing.assert_array_equal(index.sentence_hubness, stored)
    np.testing.assert_array_equal(index.sentence_hubness_of(2), stored[4:6])

    (index_dir / name / "hubness.npy").unlink()  # as versions before session 58 were written
    older = open_index(index_dir)
    np.testing.assert_allclose(older.sentence_hubness, stored, atol=1e-6)
    assert integrity_problems(older) == []
    assert "31 hubness values but 32 sentence vectors" in integrity_problems(
        dataclasses.replace(older, sentence_hubness=older.sentence_hubness[:-1]))


def test_a_translation_or_repeat_of_a_sentence_does_not_make_it_a_hub():
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(30, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    alone = sentence_hubness(vectors)
    twinned = sentence_hubness(np.vstack([vectors, vectors[3:4]]))  # sentence 3 twice, as in a parallel corpus
    assert twinned[3] - alone[3] == pytest.approx(twinned[0] - alone[0], abs=0.02)  # a shift of the median only


def test_next_version_extends_an_hnsw_index_instead_of_rebuilding_it(tmp_path, monkeypatch):
    monkeypatch.setattr(index_mod, "HNSW_THRESHOLD", 40)
    index_dir = tmp_path / "index"
    docs, chunks, vectors, sentence_vectors = _data(n_docs=20, per_doc=3)
    write_version(index_dir, docs, chunks, vectors, "m", sentence_vectors)
    first = open_index(index_dir)
    assert type(first.vectors).__name__ == "IndexHNSWFlat" and first.slot_map is None

    # Document 0 changes: its 3 passages are removed, 2 new ones are added after the kept ones.
    new_docs, new_chunks, new_vectors, new_sentences = _data(n_docs=1, per_doc=2, seed=5)
    new_chunks = [dataclasses.replace(c, chunk_id=f"new{i}") for i, c in enumerate(new_chunks)]
    new_docs = [dataclasses.replace(new_docs[0], chunk_count=2)]
    kept_rows = list(range(3, 60))
    write_next_version(index_dir, first, kept_rows, docs[1:] + new_docs, new_chunks, new_vectors, new_sentences)
    second = open_index(index_dir)
    assert (index_dir / second.version / "slots.npy").is_file() and second.slot_map.dead == 3
    assert second.vectors.ntotal == 62 and len(second.chunks) == 59 and integrity_problems(second) == []
    assert second.chunks == tuple(chunks[3:]) + tuple(new_chunks)
    np.testing.assert_allclose(second.vectors_of([0, 57, 58]), np.vstack([vectors[3], new_vectors]), rtol=1e-6)
    np.testing.assert_allclose(second.sentence_vectors_of(57), new_sentences[0:2], atol=2e-3)
    np.testing.assert_array_equal(second.sentence_vectors_of(0), first.sentence_vectors_of(3))
    for row, vector in ((58, new_vectors[1]), (10, vectors[13])):
        assert second.search(vector, 1)[0] == (row, pytest.approx(1.0, abs=1e-5))
    # A removed passage's vector is never found again, though it is still in the graph.
    assert all(second.chunks[r].chunk_id != "c00" for r, _ in second.search(vectors[0], 59))
    assert len(second.search(vectors[0], 100)) == 59

    # Once more than MAX_DEAD_SHARE of the vectors are dead the index is rebuilt without them.
    write_next_version(index_dir, second, list(range(9, 59)), docs[4:] + new_docs, [], new_vectors[:0],
                       new_sentences[:0])
    third = open_index(index_dir)
    assert third.slot_map is None and third.vectors.ntotal == len(third.chunks) == 50
    assert integrity_problems(third) == []
    assert third.search(new_vectors[1], 1)[0][0] == 49


def test_float16_sentences_retrieve_like_float32(tmp_path, small_embedder):
    """On a small real index, ranking with float16 sentence vectors matches ranking with the float32 ones."""
    from ingest.embed_cache import EmbeddingCache
    from ingest.pipeline import ingest_paths
    from rag.retrieve import HybridRetriever

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.txt").write_bytes((CORPUS / "harnessing-llms-practical-guide.fr.txt").read_bytes())
    settings = make_settings(tmp_path / "data", embedding_model="all-minilm-l6-v2")
    assert ingest_paths([folder], settings, embedder=small_embedder).ok
    half = open_index(settings.index_dir)
    assert half.sentence_vectors.dtype == np.float16
    cache = EmbeddingCache(settings.embedding_cache_path)
    try:
        _, full_sentences, embedded = small_embedder.encode_chunks_cached(
            half.chunks, cache, titles=[half.document_of(c).title for c in half.chunks])
    finally:
        cache.close()
    assert embedded == 0
    # A new file under the name, as a new version would: rewriting the file in place would change what
    # ``half`` has memory-mapped.
    np.save(half.path / "float32.npy", full_sentences)
    os.replace(half.path / "float32.npy", half.path / "sentences.npy")
    full = open_index(settings.index_dir)
    assert full.sentence_vectors.dtype == np.float32
    questions = ["When should one fine-tune rather than prompt a model?", "Qu'est-ce que la distillation ?",
                 "Which tasks suit large language models?", "Quels sont les risques des LLM ?"]
    for question in questions:
        vec = small_embedder.encode_queries([question])[0]
        hits16 = HybridRetriever(half, small_embedder).search(question, 5, vec)
        hits32 = HybridRetriever(full, small_embedder).search(question, 5, vec)
        assert [h.row for h in hits16] == [h.row for h in hits32], question
        assert [h.score for h in hits16] == pytest.approx([h.score for h in hits32], abs=1e-3)


def test_odd_characters_in_the_data_path(tmp_path):
    index_dir = tmp_path / "my data #1 ?100%" / "index"
    _write(index_dir)
    assert len(open_index(index_dir).chunks) == 6


def test_empty_version(tmp_path):
    write_version(tmp_path, [], [], np.zeros((0, DIM), np.float32), "m", np.zeros((0, DIM), np.float32))
    index = open_index(tmp_path)
    assert index.chunks == () and index.search(np.ones(DIM, np.float32), 5) == []


def test_no_index_yet(tmp_path):
    with pytest.raises(NoIndexError, match="run `survey-rag ingest` first"):
        open_index(tmp_path / "index")


def test_write_refuses_mismatched_vectors(tmp_path):
    docs, chunks, vectors, sentence_vectors = _data()
    with pytest.raises(ValueError, match="6 chunks but 5 vectors"):
        write_version(tmp_path, docs, chunks, vectors[:5], "m", sentence_vectors)
    assert current_version(tmp_path) is None
    assert not list(tmp_path.glob("tmp-*")) and not list(tmp_path.glob("v*"))


def test_integrity_problems_found(tmp_path):
    index_dir = tmp_path / "index"
    name, _ = _write(index_dir)
    index = open_index(index_dir)
    short = dataclasses.replace(index, chunks=index.chunks[:-1])
    problems = integrity_problems(short)
    assert "6 vectors but 5 chunks" in problems
    assert any("should have 3 chunks, has 2" in p for p in problems)
    orphan = dataclasses.replace(index, documents={k: v for k, v in index.documents.items() if k != "doc0"})
    assert any("missing from documents" in p for p in integrity_problems(orphan))
    assert integrity_problems(index, {"chunks": 7, "documents": 2}) == ["manifest counts differ from the stored data"]

    # a stored version that disagrees with its manifest is refused when opened
    manifest_path = index_dir / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["chunks"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexStoreError, match="inconsistent: manifest counts differ"):
        open_index(index_dir)


def test_unreadable_version_is_a_clear_error(tmp_path):
    index_dir = tmp_path / "index"
    name, _ = _write(index_dir)
    (index_dir / name / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexStoreError, match=r"is unreadable .*run `survey-rag ingest`"):
        open_index(index_dir)


def test_pointer_switches_only_after_a_complete_version(tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    first, _ = _write(index_dir, seed=1)
    before = open_index(index_dir)

    def crash(*args, **kwargs):  # die while writing the metadata of the second version
        raise OSError("disk full")

    monkeypatch.setattr(index_mod, "_write_meta", crash)
    with pytest.raises(IndexStoreError, match=r"\(disk full\); the previous version is still live"):
        _write(index_dir, seed=2)
    assert current_version(index_dir) == first
    assert not list(index_dir.glob("tmp-*"))  # the half-written staging folder is removed at once
    after = open_index(index_dir)
    assert after.version == first and after.chunks == before.chunks
    assert integrity_problems(after) == []

    monkeypatch.undo()
    collect_garbage(index_dir)
    assert not list(index_dir.glob("tmp-*"))  # staging leftovers are garbage-collected
    assert current_version(index_dir) == first and (index_dir / first).is_dir()


def test_pointer_is_replaced_atomically(tmp_path, monkeypatch):
    """The pointer is written to a temporary file and moved over CURRENT with os.replace."""
    index_dir = tmp_path / "index"
    first, _ = _write(index_dir)
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.basename(src), os.path.basename(dst), (index_dir / POINTER).read_text().strip()))
        # the new version is complete on disk before the pointer moves
        new = open(src).read().strip()
        assert (index_dir / new / "manifest.json").is_file()
        real_replace(src, dst)

    monkeypatch.setattr(index_mod.os, "replace", spy)
    second, _ = _write(index_dir, seed=3)
    assert seen == [(f"{POINTER}.tmp", POINTER, first)]
    assert current_version(index_dir) == second


def test_garbage_collection_keeps_live_and_previous(tmp_path):
    index_dir = tmp_path / "index"
    names = []
    for seed in range(4):
        names.append(_write(index_dir, seed=seed)[0])
        time.sleep(0.01)
    (index_dir / "tmp-vX-crashed").mkdir()
    collect_garbage(index_dir)
    kept = sorted(p.name for p in index_dir.iterdir() if p.is_dir())
    assert kept == sorted(names[-2:])
    assert current_version(index_dir) == names[-1]
    assert open_index(index_dir).version == names[-1]


def test_lock_refuses_a_second_holder(tmp_path):
    with IngestLock(tmp_path) as held:
        assert (tmp_path / LOCK).read_text() == str(os.getpid())
        with pytest.raises(IngestLockedError) as info:
            with IngestLock(tmp_path):
                pass
        message = str(info.value)
        assert f"another ingest is running on {tmp_path}" in message
        assert f"pid {os.getpid()}" in message and "\n" not in message
        assert held is not None
    with IngestLock(tmp_path):  # released on exit
        pass


def test_lock_held_by_another_process_and_released_when_it_dies(tmp_path):
    code = (
        "import sys, time; from pathlib import Path; from ingest.index import IngestLock\n"
        f"with IngestLock(Path({str(tmp_path)!r})):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(IngestLockedError, match=f"pid {proc.pid}"):
            with IngestLock(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()
    with IngestLock(tmp_path):  # the kernel dropped the dead holder's lock
        pass


def test_embedding_progress_starts_at_zero_before_the_first_block(tmp_path, small_embedder):
    """The embed stage is reported when it starts (a bar at 0 of N, and the bench's stage clock), not
    first when its first block of 32 is done."""
    from ingest.embed_cache import EmbeddingCache
    from ingest.types import Chunk

    texts = [f"Passage number {i} about distillation and fine-tuning." for i in range(40)]
    chunks = [Chunk(chunk_id=f"c{i}", doc_id="d", text=t, start=0, end=len(t), language="en", sentences=((0, len(t)),))
              for i, t in enumerate(texts)]
    calls: list[tuple[int, int]] = []
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    try:
        small_embedder.encode_chunks_cached(chunks, cache, progress=lambda done, total: calls.append((done, total)))
        assert calls == [(0, 40), (32, 40), (40, 40)]
        calls.clear()
        small_embedder.encode_chunks_cached(chunks, cache, progress=lambda done, total: calls.append((done, total)))
        assert calls == []  # all cached: no stage to report
    finally:
        cache.close()


def test_nearest_sentences_scan_every_block_and_name_their_passages(tmp_path, monkeypatch):
    monkeypatch.setattr(index_mod, "_SCAN_BLOCK", 3)  # blocks that cut passages' sentence runs in two
    _write(tmp_path / "index")
    index = open_index(tmp_path / "index")
    sentences = _data()[3]
    for target in (0, 7, 11):
        query = sentences[target] / np.linalg.norm(sentences[target])
        nearest = index.nearest_sentences(query, 4)
        expected = np.argsort(-(sentences @ query))[:4]
        assert [row for row, _ in nearest] == [int(s) // 2 for s in expected]  # two sentences a passage
        assert [sim for _, sim in nearest] == pytest.approx((sentences @ query)[expected].tolist(), abs=1e-2)
    assert len(index.nearest_sentences(query, 100)) == 12 and index.nearest_sentences(query, 0) == []
