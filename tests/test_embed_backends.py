"""Embedding backends: the torch reference, and the same model exported locally to ONNX (fp32, int8), cached
and verified; ``auto`` (the default) resolving to int8 or, when the export fails, to torch. MiniLM keeps most
of these fast; two tests run EmbeddingGemma's real exports."""

from __future__ import annotations

import inspect
import json
import logging
from pathlib import Path

import numpy as np
import pytest

import ingest.onnx_export
from core.models import ModelError
from core.settings import SettingsError
from ingest.embed import Embedder, embedding_model_id
from ingest.onnx_export import DATA_FILE, MANIFEST, MODEL_FILE, RECIPES, export_dir, remembered_failure, verification_problem
from tests.conftest import make_settings

SMALL = "all-minilm-l6-v2"
TEXTS = ["Retrieval-augmented generation grounds answers in documents.",
         "Instruction tuning teaches a model to follow requests. It needs fewer examples than pre-training."]
SPANS = [[(0, 61)], [(0, 52), (53, 98)]]
QUESTIONS = ["What grounds answers in documents?", "What teaches following requests?"]  # one per text of TEXTS


def closeness(reference, candidate, texts=TEXTS, spans=SPANS):
    """The candidate's passage vectors, and their lowest cosines to the reference's over passages and over sentences."""
    ref_p, ref_s = reference.encode_passages_with_sentences(texts, spans)
    got_p, got_s = candidate.encode_passages_with_sentences(texts, spans)
    return got_p, (ref_p * got_p).sum(1).min(), min((r * g).sum(1).min() for r, g in zip(ref_s, got_s))


def finds_own_passages(embedder, passages) -> bool:
    """Whether each of QUESTIONS is closest to its own passage of TEXTS: still a retrieval model."""
    return list((embedder.encode_queries(QUESTIONS) @ passages.T).argmax(1)) == [0, 1]


@pytest.fixture(scope="module")
def small_torch(tmp_path_factory):
    return Embedder.load(make_settings(tmp_path_factory.mktemp("torch"), embedding_model=SMALL,
                                       embedding_backend="torch"))


@pytest.fixture(scope="module")
def small_int8(tmp_path_factory):
    return Embedder.load(make_settings(tmp_path_factory.mktemp("int8"), embedding_model=SMALL,
                                       embedding_backend="onnx-int8"))


def test_torch_path_equals_sentence_transformers_encode(small_torch):
    st = small_torch.model
    np.testing.assert_allclose(small_torch.encode_queries(TEXTS), st.encode_query(TEXTS, normalize_embeddings=True),
                               atol=1e-6)
    np.testing.assert_allclose(small_torch.encode_documents(TEXTS),
                               st.encode_document(TEXTS, normalize_embeddings=True), atol=1e-6)


def test_int8_vectors_stay_close_to_torch(small_torch, small_int8):
    assert small_int8.backend == "onnx-int8" and small_int8.dim == small_torch.dim
    passages, passage_cos, sentence_cos = closeness(small_torch, small_int8)
    assert passage_cos > 0.97 and sentence_cos > 0.95
    assert finds_own_passages(small_int8, passages)


def test_backend_is_part_of_the_model_id(tmp_path):
    torch_id = embedding_model_id(make_settings(tmp_path, embedding_model=SMALL, embedding_backend="torch"))
    int8_id = embedding_model_id(make_settings(tmp_path, embedding_model=SMALL, embedding_backend="onnx-int8"))
    assert int8_id == torch_id + "+onnx-int8"


def test_export_is_cached_and_verified(small_int8, tmp_path):
    settings = make_settings(tmp_path, embedding_model=SMALL, embedding_backend="onnx-int8")
    source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
    folder = export_dir(SMALL, source_id, "onnx-int8", settings)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["source_model"] == source_id and manifest["probe_cosine"] >= 0.97
    assert manifest["recipe"] == RECIPES["onnx-int8"]
    # The token table (MiniLM's, 47 MB) sits beside the graph, for ONNX Runtime to memory-map.
    assert (folder / DATA_FILE).stat().st_size > (folder / MODEL_FILE).stat().st_size and "data_sha256" in manifest
    assert verification_problem(folder, source_id, RECIPES["onnx-int8"]) is None
    assert verification_problem(folder, "another:model", RECIPES["onnx-int8"]) == "exported from another model"
    assert "another recipe" in verification_problem(folder, source_id, "an older int8 recipe")
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns
    Embedder.load(settings)  # the cached export, not a new one
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp


@pytest.mark.parametrize("altered", [MODEL_FILE, DATA_FILE])
def test_altered_export_is_rebuilt(small_int8, tmp_path, altered):
    settings = make_settings(tmp_path, embedding_model=SMALL, embedding_backend="onnx-int8")
    source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
    folder = export_dir(SMALL, source_id, "onnx-int8", settings)
    with open(folder / altered, "r+b") as fh:  # one flipped byte: no longer the verified file
        fh.seek(-3, 2)
        byte = fh.read(1)
        fh.seek(-3, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert verification_problem(folder, source_id, RECIPES["onnx-int8"]) == f"{altered} does not match its recorded SHA-256"
    rebuilt = Embedder.load(settings)
    assert verification_problem(folder, source_id, RECIPES["onnx-int8"]) is None
    np.testing.assert_allclose(rebuilt.encode_queries(TEXTS), small_int8.encode_queries(TEXTS), atol=1e-5)


def test_unknown_backend_is_a_one_line_settings_error(tmp_path):
    with pytest.raises(SettingsError,
                       match="SURVEY_RAG_EMBEDDING_BACKEND='gpu' is not one of auto, torch, onnx, onnx-int8"):
        Embedder.load(make_settings(tmp_path, embedding_backend="gpu"))


def test_auto_is_the_default_and_uses_the_int8_export(small_int8, tmp_path):
    """A model whose int8 export passes its probe: ``auto`` loads it, under the same id as ``onnx-int8``
    (one index, one cache for both), and ``embedding_model_id`` says so without loading anything."""
    settings = make_settings(tmp_path, embedding_model=SMALL)
    assert settings.embedding_backend == "auto"
    auto = Embedder.load(settings)
    assert auto.backend == "onnx-int8"
    assert auto.model_id == embedding_model_id(settings) == small_int8.model_id
    np.testing.assert_allclose(auto.encode_queries(TEXTS), small_int8.encode_queries(TEXTS), atol=1e-6)


class ExportCalls:
    """Stands in for ``ingest.onnx_export._export`` (same signature): counts calls, then fails as told."""

    def __init__(self, failure: Exception | None = None, cosine: float = 0.5):
        self.failure, self.cosine, self.calls = failure, cosine, 0

    def __call__(self, model_path: Path, out: Path, quantise: bool) -> float:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        (out / MODEL_FILE).write_bytes(b"not a model")
        return self.cosine


@pytest.fixture
def own_cache(tmp_path):
    """Settings for MiniLM with a cache folder of their own (no exports yet); the model folder is the shared one."""
    shared = make_settings(tmp_path).models_dir / SMALL
    settings = make_settings(tmp_path / "data", cache_dir=tmp_path / "cache", embedding_model=SMALL)
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / SMALL).symlink_to(shared, target_is_directory=True)
    return settings


@pytest.mark.parametrize("failure, why", [(None, "probe cosine 0.500 < 0.97"),
                                          (RuntimeError("Unsupported: ONNX export of op X"), "RuntimeError")])
def test_auto_falls_back_to_torch_and_remembers_a_failed_export(own_cache, monkeypatch, caplog, failure, why):
    fake = ExportCalls(failure)
    assert inspect.signature(fake.__call__) == inspect.signature(ingest.onnx_export._export)
    monkeypatch.setattr(ingest.onnx_export, "_export", fake)
    torch_id = embedding_model_id(own_cache.replace(embedding_backend="torch"))
    assert embedding_model_id(own_cache) == torch_id + "+onnx-int8"  # not tried yet: auto expects int8
    with caplog.at_level(logging.WARNING, logger="ingest.embed"):
        first = Embedder.load(own_cache)
    assert (first.backend, first.model_id, fake.calls) == ("torch", torch_id, 1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "auto: embedding with torch fp32, not onnx-int8" in warnings[0] and why in warnings[0]
    folder = export_dir(SMALL, torch_id, "onnx-int8", own_cache)
    assert why in remembered_failure(folder, torch_id, RECIPES["onnx-int8"])
    assert not (folder / MODEL_FILE).exists()
    assert embedding_model_id(own_cache) == torch_id  # an index built by the fallback stays valid
    again = Embedder.load(own_cache)
    assert (again.backend, again.model_id, fake.calls) == ("torch", torch_id, 1)  # remembered, not retried
    with pytest.raises(ModelError, match="export failed before .*delete .* to try again"):
        Embedder.load(own_cache.replace(embedding_backend="onnx-int8"))
    assert fake.calls == 1
    np.testing.assert_allclose(again.encode_queries(TEXTS), first.encode_queries(TEXTS), atol=1e-6)


def test_a_failure_of_the_machine_is_not_remembered(own_cache, monkeypatch):
    """A full disk says nothing about the model: auto falls back to torch this time and tries the export again."""
    fake = ExportCalls(OSError(28, "No space left on device"))
    monkeypatch.setattr(ingest.onnx_export, "_export", fake)
    assert Embedder.load(own_cache).backend == "torch"
    assert Embedder.load(own_cache).backend == "torch" and fake.calls == 2
    torch_id = embedding_model_id(own_cache.replace(embedding_backend="torch"))
    assert remembered_failure(export_dir(SMALL, torch_id, "onnx-int8", own_cache), torch_id,
                              RECIPES["onnx-int8"]) is None


def test_a_new_recipe_tries_a_failed_export_again(own_cache, monkeypatch):
    monkeypatch.setattr(ingest.onnx_export, "_export", ExportCalls())
    assert Embedder.load(own_cache).backend == "torch"
    monkeypatch.setitem(ingest.onnx_export.RECIPES, "onnx-int8", "a better int8 recipe")
    monkeypatch.setattr(ingest.onnx_export, "_export", fake := ExportCalls())
    assert Embedder.load(own_cache).backend == "torch" and fake.calls == 1


@pytest.fixture(scope="module")
def gemma_torch(tmp_path_factory):
    return Embedder.load(make_settings(tmp_path_factory.mktemp("gemma-torch"), embedding_backend="torch"))


def test_gemma_export_matches_torch_past_the_sliding_window(gemma_torch, tmp_path):
    """EmbeddingGemma's real ONNX export (built once, then cached) against torch, on passages of other
    lengths than the export traced; a Korean passage longer than the sliding-attention reach (256 tokens
    each way) checks the exported attention masks."""
    exported = Embedder.load(make_settings(tmp_path, embedding_backend="onnx"))
    long = " ".join(["검색 증강 생성은 외부 문서를 근거로 답을 만들고, 모델은 인용한 문단을 표시한다."] * 30)
    texts = [long, TEXTS[1]]
    spans = [[(0, 40), (len(long) - 40, len(long))], SPANS[1]]
    assert len(gemma_torch.model.tokenizer(long)["input_ids"]) > 300
    _, passage_cos, sentence_cos = closeness(gemma_torch, exported, texts, spans)
    assert passage_cos > 0.999 and sentence_cos > 0.999


def test_gemma_default_is_its_int8_export_which_passes_the_probe_and_keeps_rankings(embedder, gemma_torch, tmp_path):
    """The default embedder is EmbeddingGemma's real int8 export (built once, then cached): its manifest
    records the probe check it passed, its vectors stay close to torch's, and questions still find their passages."""
    settings = make_settings(tmp_path, embedding_backend="onnx-int8")
    assert embedder.backend == "onnx-int8" and embedder.model_id == embedding_model_id(settings)
    source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
    manifest = json.loads((export_dir("embeddinggemma-300m", source_id, "onnx-int8", settings) / MANIFEST)
                          .read_text(encoding="utf-8"))
    assert manifest["probe_cosine"] >= 0.97 and manifest["recipe"] == RECIPES["onnx-int8"]
    passages, passage_cos, sentence_cos = closeness(gemma_torch, embedder)
    assert passage_cos > 0.98 and sentence_cos > 0.97
    assert finds_own_passages(embedder, passages)
