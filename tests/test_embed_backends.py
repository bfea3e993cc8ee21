"""Embedding backends: the torch reference, and the same model exported locally to ONNX (fp32, int8), cached
and verified. MiniLM keeps most of these fast; two tests run EmbeddingGemma's real exports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.settings import SettingsError
from ingest.embed import Embedder, embedding_model_id
from ingest.onnx_export import MANIFEST, MODEL_FILE, RECIPES, export_dir, verification_problem
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
    assert verification_problem(folder, source_id, RECIPES["onnx-int8"]) is None
    assert verification_problem(folder, "another:model", RECIPES["onnx-int8"]) == "exported from another model"
    assert "another recipe" in verification_problem(folder, source_id, "an older int8 recipe")
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns
    Embedder.load(settings)  # the cached export, not a new one
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp


def test_altered_export_is_rebuilt(small_int8, tmp_path):
    settings = make_settings(tmp_path, embedding_model=SMALL, embedding_backend="onnx-int8")
    source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
    folder = export_dir(SMALL, source_id, "onnx-int8", settings)
    with open(folder / MODEL_FILE, "r+b") as fh:  # one flipped byte: no longer the verified file
        fh.seek(-3, 2)
        byte = fh.read(1)
        fh.seek(-3, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert "SHA-256" in verification_problem(folder, source_id, RECIPES["onnx-int8"])
    rebuilt = Embedder.load(settings)
    assert verification_problem(folder, source_id, RECIPES["onnx-int8"]) is None
    np.testing.assert_allclose(rebuilt.encode_queries(TEXTS), small_int8.encode_queries(TEXTS), atol=1e-5)


def test_unknown_backend_is_a_one_line_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="SURVEY_RAG_EMBEDDING_BACKEND='gpu' is not one of torch, onnx, onnx-int8"):
        Embedder.load(make_settings(tmp_path, embedding_backend="gpu"))


def test_gemma_export_matches_torch_past_the_sliding_window(embedder, tmp_path):
    """EmbeddingGemma's real ONNX export (built once, then cached) against the torch default embedder,
    on passages of other lengths than the export traced; a Korean passage longer than the
    sliding-attention reach (256 tokens each way) checks the exported attention masks."""
    assert embedder.backend == "torch"
    exported = Embedder.load(make_settings(tmp_path, embedding_backend="onnx"))
    long = " ".join(["검색 증강 생성은 외부 문서를 근거로 답을 만들고, 모델은 인용한 문단을 표시한다."] * 30)
    texts = [long, TEXTS[1]]
    spans = [[(0, 40), (len(long) - 40, len(long))], SPANS[1]]
    assert len(embedder.model.tokenizer(long)["input_ids"]) > 300
    _, passage_cos, sentence_cos = closeness(embedder, exported, texts, spans)
    assert passage_cos > 0.999 and sentence_cos > 0.999


def test_gemma_int8_export_passes_the_probe_and_keeps_rankings(embedder, tmp_path):
    """EmbeddingGemma's real int8 export (built once, then cached): its manifest records the probe check
    it passed, its vectors stay close to the torch default's, and questions still find their passages."""
    settings = make_settings(tmp_path, embedding_backend="onnx-int8")
    int8 = Embedder.load(settings)
    source_id = embedding_model_id(settings.replace(embedding_backend="torch"))
    manifest = json.loads((export_dir("embeddinggemma-300m", source_id, "onnx-int8", settings) / MANIFEST)
                          .read_text(encoding="utf-8"))
    assert manifest["probe_cosine"] >= 0.97 and manifest["recipe"] == RECIPES["onnx-int8"]
    passages, passage_cos, sentence_cos = closeness(embedder, int8)
    assert passage_cos > 0.98 and sentence_cos > 0.97
    assert finds_own_passages(int8, passages)
