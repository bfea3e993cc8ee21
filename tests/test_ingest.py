"""Ingestion end to end: the real corpus with the real default embedder, incremental re-ingest,
model changes, and a SIGKILL in the middle of an ingest.

The corpus index is the shared session fixture (ingested once); copies of the corpus share the
embedding cache, so only text that really changed is embedded again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from conftest import EMBEDDING_CACHE, make_settings
from helpers_ingest import CORPUS, copy_corpus
from ingest.embed import Embedder
from ingest.index import IngestLock, IngestLockedError, current_version, integrity_problems, open_index
from ingest.load import read_manifest
from ingest.pipeline import ingest_paths, remove_documents

MANIFEST = read_manifest(CORPUS)
# A stored vector against the same text embedded again on its own: the default int8 embedder scales
# activations per batch (one scale per tensor), so a passage embedded among others comes out at cosine
# 0.998-0.999 and its sentences at 0.97-0.999 (measured; torch gives > 0.999). A vector stored on the
# wrong row would be far below.
SAME_VECTOR = 0.95
COURSE = "llm-finetuning-distillation-prompting-course.ko.txt"
REVIEW = "harnessing-llms-paper-review.ko-en.txt"
GUIDE_FR = "harnessing-llms-practical-guide.fr.txt"
SMALL_MODEL = "all-minilm-l6-v2"


def _by_name(index) -> dict[str, object]:
    return {Path(d.source).name: d for d in index.documents.values()}


def _chunks_of(index, doc_id: str) -> list:
    return [c for c in index.chunks if c.doc_id == doc_id]


def _fresh_vectors(embedder, index, row: int):
    """The passage vector and sentence vectors of chunk ``row``, computed again."""
    chunk = index.chunks[row]
    passages, sentences = embedder.encode_passages_with_sentences(
        [chunk.text], [chunk.sentences or ((0, len(chunk.text)),)], [index.document_of(chunk).title]
    )
    return passages[0], sentences[0]


def _version_dirs(settings) -> list[str]:
    return sorted(p.name for p in settings.index_dir.iterdir() if p.is_dir())


# --- the real corpus with the real default embedder --------------------------------------------


@pytest.mark.slow
def test_corpus_index(corpus_index, embedder):
    docs = _by_name(corpus_index)
    assert set(docs) == set(MANIFEST)
    for name, meta in MANIFEST.items():
        assert docs[name].title == meta.title
        assert docs[name].seed == meta.seed
        assert docs[name].languages == meta.languages
        assert docs[name].source == str((CORPUS / name).resolve())
        assert docs[name].chunk_count == len(_chunks_of(corpus_index, docs[name].doc_id)) > 0
    assert integrity_problems(corpus_index) == []
    assert corpus_index.embedding_model == embedder.model_id and corpus_index.dim == embedder.dim
    assert {c.language for c in corpus_index.chunks} == {"ko", "fr", "en"}
    assert {c.language for c in _chunks_of(corpus_index, docs[GUIDE_FR].doc_id)} == {"fr"}
    assert {c.language for c in _chunks_of(corpus_index, docs[REVIEW].doc_id)} == {"ko", "en"}
    assert sum(1 for c in corpus_index.chunks if c.heading) > len(corpus_index.chunks) // 2

    norms = np.linalg.norm(corpus_index.vectors_of(list(range(len(corpus_index.chunks)))), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-3)
    # stored vectors are the embeddings of the stored passage (with its document title) and sentences
    for row in (0, 7, len(corpus_index.chunks) - 1):
        passage, sentences = _fresh_vectors(embedder, corpus_index, row)
        assert float(passage @ corpus_index.vectors_of([row])[0]) > SAME_VECTOR
        stored = corpus_index.sentence_vectors_of(row)
        assert stored.shape == sentences.shape
        assert np.all(np.sum(stored * sentences, axis=1) > SAME_VECTOR)


def test_a_sentence_saying_nothing_of_its_own_is_a_hub_of_the_real_corpus(corpus_index):
    """The stored hubness of the bundled corpus, embedded by the real default model: "LLM도 마찬가지입니다." ("so
    is the LLM", near whatever is said about LLMs) sits in the top tenth."""
    texts = [text for chunk in corpus_index.chunks for text in chunk.sentence_texts()]
    hubness = np.load(corpus_index.path / "hubness.npy")
    assert len(texts) == len(hubness) and integrity_problems(corpus_index) == []
    top_tenth = np.percentile(hubness, 90)
    assert all(hubness[i] > top_tenth for i, t in enumerate(texts) if t.strip() == "LLM도 마찬가지입니다.")
    assert any(t.strip() == "LLM도 마찬가지입니다." for t in texts)


@pytest.mark.slow
def test_corpus_search_finds_the_right_passages(corpus_index, embedder):
    checks = [
        ("레이어 정규화는 왜 사용하나요?", "comprehensive-overview-of-llms.ko.txt", "정규화"),
        ("Quand les modèles affinés sont-ils meilleurs que les LLM pour la traduction ?", GUIDE_FR, "traduction"),
    ]
    for question, name, word in checks:
        rows = corpus_index.search(embedder.encode_queries([question])[0], k=5)
        hits = [corpus_index.chunks[r] for r, _ in rows]
        assert any(corpus_index.document_of(c).source.endswith(name) and word in c.text for c in hits), question


@pytest.mark.slow
def test_reingest_without_change_embeds_nothing(corpus_settings, corpus_index, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the embedding model was loaded for an unchanged corpus")

    monkeypatch.setattr(Embedder, "load", no_model)
    before = _version_dirs(corpus_settings)
    started = time.monotonic()
    report = ingest_paths([CORPUS], corpus_settings)
    elapsed = time.monotonic() - started
    assert report.ok and report.embedded == 0
    assert len(report.unchanged) == 5 and not (report.added or report.changed or report.removed)
    assert report.version == corpus_index.version == current_version(corpus_settings.index_dir)
    assert report.chunks == len(corpus_index.chunks)
    assert _version_dirs(corpus_settings) == before  # no new version written
    assert elapsed < 30  # a couple of seconds on an idle machine; generous for a busy CI box
    assert "5 unchanged, 0 failed" in report.summary()


@pytest.mark.slow
def test_change_then_delete_one_document(corpus_settings, embedder, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data")
    first = ingest_paths([corpus], settings, embedder=embedder)
    assert first.ok and len(first.added) == 5
    assert first.embedded == 0  # same texts as the shared corpus index: all from the cache
    before = open_index(settings.index_dir)

    # change one document: append a new section
    target = corpus / COURSE
    nonce = uuid.uuid4().hex[:8]  # new text in every run, so the shared cache cannot already hold it
    addition = (
        "\n\n증류 요약\n\n지식 증류는 큰 교사 모델의 출력을 작은 학생 모델이 따라 하도록 학습시키는 방법입니다. "
        f"학생 모델은 훨씬 빠르게 답합니다. (실행 {nonce})\n"
    )
    target.write_text(target.read_text(encoding="utf-8") + addition, encoding="utf-8")
    changed = ingest_paths([corpus], settings, embedder=embedder)
    assert changed.ok
    assert changed.changed == (str(target.resolve()),) and len(changed.unchanged) == 4
    assert 0 < changed.embedded <= 3  # only the new passage(s)
    after = open_index(settings.index_dir)
    assert after.version != before.version and integrity_problems(after) == []
    changed_id = _by_name(after)[COURSE].doc_id
    for name, doc in _by_name(before).items():
        if name == COURSE:
            continue
        old, new = _chunks_of(before, doc.doc_id), _chunks_of(after, doc.doc_id)
        assert new == old  # other documents' chunks are identical...
        old_rows = [before.chunks.index(c) for c in old]
        new_rows = [after.chunks.index(c) for c in new]
        np.testing.assert_array_equal(after.vectors_of(new_rows), before.vectors_of(old_rows))  # ...vectors too
    new_chunks = _chunks_of(after, changed_id)
    assert any("지식 증류는 큰 교사 모델의 출력을" in c.text for c in new_chunks)
    assert any(c.heading == "증류 요약" for c in new_chunks)
    assert _by_name(after)[COURSE].content_hash != _by_name(before)[COURSE].content_hash

    # delete one document
    gone = corpus / GUIDE_FR
    gone_id = _by_name(after)[GUIDE_FR].doc_id
    gone.unlink()
    removed = ingest_paths([corpus], settings, embedder=embedder)
    assert removed.ok and removed.removed == (str(gone.resolve()),) and removed.embedded == 0
    final = open_index(settings.index_dir)
    assert set(_by_name(final)) == set(MANIFEST) - {GUIDE_FR}
    assert _chunks_of(final, gone_id) == [] and integrity_problems(final) == []
    assert "fr" not in {c.language for c in final.chunks}
    assert len(final.chunks) == len(after.chunks) - len(_chunks_of(after, gone_id))
    assert len(_version_dirs(settings)) <= 2  # old versions are collected


# --- incremental behaviour with the small embedder ---------------------------------------------


def _small_corpus(folder: Path, names=(COURSE, REVIEW)) -> Path:
    folder.mkdir(parents=True)
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    for name in names:
        (folder / name).write_bytes((CORPUS / name).read_bytes())
    (folder / "manifest.json").write_text(json.dumps({n: manifest[n] for n in names}), encoding="utf-8")
    return folder


def test_single_file_ingest_leaves_other_documents(small_embedder, tmp_path):
    corpus = _small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    assert ingest_paths([corpus], settings, embedder=small_embedder).ok
    extra = tmp_path / "elsewhere" / "note.md"
    extra.parent.mkdir()
    extra.write_text("# A note\n\nDistillation makes a small model imitate a large one.\n", encoding="utf-8")
    report = ingest_paths([extra], settings, embedder=small_embedder)
    assert report.added == (str(extra.resolve()),) and not report.removed  # a file is not a folder scan
    docs = _by_name(open_index(settings.index_dir))
    assert set(docs) == {COURSE, REVIEW, "note.md"}
    assert docs[COURSE].title == MANIFEST[COURSE].title and docs["note.md"].title == "A note"

    # the same bytes under a second name are refused as a duplicate, nothing else changes
    twin = tmp_path / "elsewhere" / "copy.md"
    twin.write_bytes(extra.read_bytes())
    report = ingest_paths([twin], settings, embedder=small_embedder)
    assert [f.reason for f in report.failed] == [f"duplicate of already indexed {extra.resolve()}; skipped"]
    assert set(_by_name(open_index(settings.index_dir))) == {COURSE, REVIEW, "note.md"}

    # remove by path through the explicit removal entry point
    removed = remove_documents([str(extra)], settings)
    assert removed.removed == (str(extra.resolve()),)
    assert set(_by_name(open_index(settings.index_dir))) == {COURSE, REVIEW}


def test_a_new_description_in_the_manifest_is_recorded_without_embedding_again(small_embedder, tmp_path):
    corpus = _small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    assert ingest_paths([corpus], settings, embedder=small_embedder).ok
    first = open_index(settings.index_dir)
    assert _by_name(first)[COURSE].description == MANIFEST[COURSE].source  # the manifest's "source" describes it

    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    manifest[COURSE]["source"] = "A course page of a machine learning crash course"
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest_paths([corpus], settings, embedder=small_embedder)
    assert report.ok and report.embedded == 0 and not (report.added or report.changed or report.removed)
    second = open_index(settings.index_dir)
    assert second.version != first.version and second.chunks == first.chunks
    docs = _by_name(second)
    assert docs[COURSE].description == "A course page of a machine learning crash course"
    assert docs[REVIEW] == _by_name(first)[REVIEW]
    # Nothing new: no version is written.
    assert ingest_paths([corpus], settings, embedder=small_embedder).version == second.version


def test_an_index_cut_by_another_chunking_is_re_chunked(small_embedder, tmp_path, monkeypatch):
    """A new chunking reaches an existing index: its unchanged files are cut again, not kept as they were."""
    import ingest.chunk
    import ingest.index
    import ingest.pipeline

    wrapped = tmp_path / "docs" / "wrapped.txt"
    wrapped.parent.mkdir()
    wrapped.write_text("The experimental results demonstrate the effectiveness\nof the proposed method.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    for module in (ingest.index, ingest.pipeline):
        monkeypatch.setattr(module, "CHUNKING", "1")
    monkeypatch.setattr(ingest.chunk, "wraps_into", lambda line, next_line: False)  # as version 1 cut lines
    assert ingest_paths([wrapped.parent], settings, embedder=small_embedder).ok
    assert open_index(settings.index_dir).chunks[0].sentence_texts()[0] == "The experimental results demonstrate the effectiveness"

    monkeypatch.undo()
    report = ingest_paths([wrapped.parent], settings, embedder=small_embedder)
    index = open_index(settings.index_dir)
    assert report.ok and index.chunking == ingest.chunk.CHUNKING
    assert [" ".join(s.split()) for s in index.chunks[0].sentence_texts()] == [
        "The experimental results demonstrate the effectiveness of the proposed method."]
    assert integrity_problems(index) == []
    # and once cut the current way, an unchanged file is left alone
    assert ingest_paths([wrapped.parent], settings, embedder=small_embedder).unchanged == (str(wrapped.resolve()),)


@pytest.mark.slow
def test_model_change_reembeds_documents_kept_from_elsewhere(small_embedder, embedder, tmp_path):
    """Vectors of two models never mix, even for documents outside the folder being ingested."""
    a = tmp_path / "a" / "a.txt"
    b = tmp_path / "b" / "b.txt"
    for path, text in ((a, "지식 증류는 작은 모델을 만든다."), (b, "Le réglage fin adapte un modèle à une tâche.")):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    assert ingest_paths([a.parent], settings, embedder=small_embedder).ok
    assert open_index(settings.index_dir).dim == small_embedder.dim

    report = ingest_paths([b.parent], make_settings(tmp_path / "data"), embedder=embedder)
    assert report.ok and report.added == (str(b.resolve()),)
    index = open_index(settings.index_dir)
    assert index.embedding_model == embedder.model_id and index.dim == embedder.dim
    assert set(_by_name(index)) == {"a.txt", "b.txt"} and integrity_problems(index) == []
    assert len(index.sentence_vectors) == index.sentence_starts[-1]
    for row, chunk in enumerate(index.chunks):
        passage, sentences = _fresh_vectors(embedder, index, row)
        assert float(passage @ index.vectors_of([row])[0]) > SAME_VECTOR, chunk.text
        assert np.all(np.sum(index.sentence_vectors_of(row) * sentences, axis=1) > SAME_VECTOR), chunk.text


def test_concurrent_ingest_is_refused(small_embedder, tmp_path):
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    with IngestLock(settings.index_dir):
        with pytest.raises(IngestLockedError, match="another ingest is running"):
            ingest_paths([tmp_path], settings, embedder=small_embedder)


# --- SIGKILL in the middle of an ingest ---------------------------------------------------------

# Runs the real CLI, pausing (so the test can kill it at a known point) either right after the
# first batch of new vectors reached the embedding cache, or after the new version's vectors and
# metadata were written to its staging folder but before its manifest and the pointer switch.
_PAUSING_INGEST = textwrap.dedent(
    """
    import sys, time
    import ingest.embed_cache, ingest.index
    from survey_rag.cli import main

    where = sys.argv[1]

    def pause():
        print("PAUSED", flush=True)
        time.sleep(600)

    if where == "embed":
        real_put = ingest.embed_cache.EmbeddingCache.put_many
        def put_many(self, model, items):
            real_put(self, model, items)
            pause()
        ingest.embed_cache.EmbeddingCache.put_many = put_many
    else:
        real_meta = ingest.index._write_meta
        def write_meta(*args):
            real_meta(*args)
            pause()
        ingest.index._write_meta = write_meta
    sys.exit(main(["ingest", *sys.argv[2:]]))
    """
)


def _cache_rows(model_id: str) -> int:
    with sqlite3.connect(EMBEDDING_CACHE) as db:
        return db.execute("SELECT COUNT(*) FROM chunk_vectors WHERE model = ?", (model_id,)).fetchone()[0]


@pytest.mark.parametrize("where", ["embed", "write"])
def test_sigkill_mid_ingest_keeps_previous_version(where, small_embedder, tmp_path):
    corpus = _small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    base = ingest_paths([corpus], settings, embedder=small_embedder)
    assert base.ok
    previous = open_index(settings.index_dir)

    # change the corpus: one document edited, one new document of never-seen sentences
    nonce = uuid.uuid4().hex[:8]
    (corpus / REVIEW).write_text((corpus / REVIEW).read_text(encoding="utf-8") + f"\nAdded note {nonce}.\n",
                                 encoding="utf-8")
    # "embed": enough new passages for more than one cache batch, so the kill lands mid-embedding
    n_sentences = 600 if where == "embed" else 3
    (corpus / "new.txt").write_text(
        " ".join(f"Sentence {i} of run {nonce} explains one detail of model distillation." for i in range(n_sentences)),
        encoding="utf-8",
    )
    rows_before = _cache_rows(small_embedder.model_id)

    script = tmp_path / "pausing_ingest.py"
    script.write_text(_PAUSING_INGEST, encoding="utf-8")
    env = {
        **os.environ,
        "SURVEY_RAG_DATA_DIR": str(settings.data_dir),
        "SURVEY_RAG_CACHE_DIR": str(settings.cache_dir),
        "SURVEY_RAG_EMBEDDING_MODEL": SMALL_MODEL,
        "SURVEY_RAG_EMBEDDING_CACHE_FILE": str(EMBEDDING_CACHE),
    }
    proc = subprocess.Popen([sys.executable, str(script), where, str(corpus)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()  # blocks until the child pauses (or dies)
        assert line.strip() == "PAUSED", f"child exited with {proc.poll()} before pausing"
        # while it runs, a second ingest is refused
        with pytest.raises(IngestLockedError, match=f"pid {proc.pid}"):
            ingest_paths([corpus], settings, embedder=small_embedder)
        staging = list(settings.index_dir.glob("tmp-*"))
        if where == "write":
            assert len(staging) == 1 and (staging[0] / "meta.sqlite").exists()
            assert not (staging[0] / "manifest.json").exists()
        rows_at_kill = _cache_rows(small_embedder.model_id)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # the previous version is still live and whole
    assert current_version(settings.index_dir) == previous.version
    survivor = open_index(settings.index_dir)
    assert integrity_problems(survivor) == []
    assert survivor.chunks == previous.chunks and survivor.documents == previous.documents

    # the next ingest completes, reusing whatever the killed one had already embedded
    report = ingest_paths([corpus], settings, embedder=small_embedder)
    assert report.ok
    assert report.added == (str((corpus / "new.txt").resolve()),)
    assert report.changed == (str((corpus / REVIEW).resolve()),)
    final = open_index(settings.index_dir)
    assert set(_by_name(final)) == {COURSE, REVIEW, "new.txt"} and integrity_problems(final) == []
    assert any(f"Added note {nonce}." in c.text for c in final.chunks)
    assert not list(settings.index_dir.glob("tmp-*"))  # the dead ingest's staging folder is gone
    assert rows_at_kill > rows_before  # the killed ingest had stored vectors...
    assert _cache_rows(small_embedder.model_id) - rows_at_kill == report.embedded  # ...which were not redone
    if where == "embed":
        assert report.embedded > 0  # it was killed with passages still to embed
