"""A sentence-transformers model's transformer as an ONNX Runtime session, built locally and cached.

The transformer (token ids → token embeddings) of a local sentence-transformers folder is exported
with ``torch.onnx.export``, optionally quantised to int8 weights, checked against the torch model on
probe sentences, and stored under ``<cache>/models/exported/`` with a manifest holding its SHA-256
and how it was quantised. Nothing is downloaded: the export reads only the verified model folder.
Every later load checks the hash and the recipe again, like the other model files; a failed check,
an export made by another recipe or an interrupted export is rebuilt, never used. An export that
fails (an error, or the probe check) is remembered in the manifest instead of a model, and not tried
again for that model and recipe (``auto`` in ingest/embed.py then uses torch).

int8 (``onnx-int8``): the torch model is first smoothed (ingest/smooth_quant.py: activation
outliers moved into the weights, the fp32 function unchanged), then every MatMul with a weight runs
as dynamic int8 (``quantize_dynamic``: int8 weights per output channel, uint8 activations with one
scale per tensor, ``MatMulInteger``) except the MLP's down projections, whose long-tailed inputs need
a scale per block: 8-bit ``MatMulNBits``, blocks of 128 input channels, accuracy level 4. The
token-embedding table stays fp32, in a file of its own that ONNX Runtime memory-maps. Measured on EmbeddingGemma (probe cosine, passages per CPU-second
against torch fp32 in the same run; docs/BENCHMARKS.md): this recipe 0.978 and 2.34-2.95 × (five
runs, median 2.69 ×); ``quantize_dynamic`` alone 0.868 and 2.91 ×; smoothed with int8 down projections
0.892 and 2.96 ×; ``MatMulNBits`` everywhere (block 32, the previous recipe) 0.996 and 1.41 ×.

Example:
    >>> path = exported_model(model_folder, "model:0123456789ab", "onnx-int8", settings)  # doctest: +SKIP
    >>> session = load_session(path, n_threads=2)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import time
from pathlib import Path

import numpy as np

from core.models import ModelError, sha256_file
from core.settings import Settings
from ingest.smooth_quant import smooth, smoothable

log = logging.getLogger(__name__)

ONNX_BACKENDS = ("onnx", "onnx-int8")
MODEL_FILE = "model.onnx"
# The token-embedding table beside the graph, which ONNX Runtime then memory-maps: only the rows of the
# tokens met are read. Inside model.onnx it was all resident: EmbeddingGemma's 805 MB fp32 table raised
# the peak RSS of loading the int8 export and embedding one batch from 0.86 to 1.72 GB (measured).
DATA_FILE = "model.onnx.data"
_EXTERNAL_BYTES = 16 * 2**20  # only token tables are this large (EmbeddingGemma 805 MB, MiniLM 47 MB)
MANIFEST = "manifest.json"
# Token embeddings of the exported model must stay this close (mean cosine over real tokens) to the
# torch model's on the probe sentences (measured: fp32 export 0.9999+; int8 EmbeddingGemma 0.978, and 0.868
# with unsmoothed dynamic quantisation).
MIN_PROBE_COSINE = 0.97
SMOOTH_ALPHA = 0.5
# The MLP's down projections (input act(gate) × up: long-tailed per token, which smoothing cannot fix) get
# 8-bit weights in blocks of DOWN_BLOCK input channels with activations quantised per block (MatMulNBits,
# accuracy level 4); every other MatMul is dynamic int8 (one activation scale per tensor, MatMulInteger).
DOWN_PROJ = "mlp/down_proj"
DOWN_BLOCK = 128
# Written into the manifest: an export made another way (an older recipe) is rebuilt, not reused.
_TABLE = f"; token table in {DATA_FILE}"
RECIPES = {"onnx": "fp32" + _TABLE,
           "onnx-int8": f"SmoothQuant alpha={SMOOTH_ALPHA}; quantize_dynamic QInt8 per-channel MatMul except "
                        f"{DOWN_PROJ}: MatMulNBits bits=8 block={DOWN_BLOCK} symmetric accuracy_level=4" + _TABLE}
# What the first export costs, for the log line that announces it (EmbeddingGemma on 2 cores, docs/BENCHMARKS.md).
TYPICAL_EXPORT = {"onnx": "35-510 s for EmbeddingGemma on 2 cores, idle to busy",
                  "onnx-int8": "about 1 minute for EmbeddingGemma on 2 idle cores, up to 15 when they are busy"}
# Calibrates the smoothing (ingest/smooth_quant.py): ordinary prose in the corpus languages, not the probes,
# so the probe still checks text the scales were not fitted on.
CALIBRATION = (
    "Retrieval-augmented generation retrieves passages from a document collection and gives them to the "
    "language model with the question, so that the answer can cite its sources instead of relying on memory.",
    "Fine-tuning adapts a pre-trained model to a task with labelled examples; parameter-efficient methods such "
    "as LoRA train small low-rank matrices and leave the original weights frozen, which saves GPU memory.",
    "La distillation transfère les connaissances d'un grand modèle enseignant vers un modèle élève plus petit, "
    "qui apprend à reproduire ses probabilités de sortie sur un corpus d'entraînement.",
    "Les grands modèles de langage sont évalués sur des jeux de données de référence, mais leurs scores "
    "dépendent fortement de la formulation des consignes et du nombre d'exemples fournis.",
    "대규모 언어 모델은 방대한 텍스트로 사전 학습된 후 지시 튜닝과 인간 피드백 강화 학습으로 정렬된다. "
    "프롬프트 엔지니어링은 모델을 다시 학습하지 않고 입력 문장만 바꾸어 성능을 높이는 방법이다.",
    "Table 3 reports accuracy (%) on MMLU, GSM8K and HumanEval for models from 7B to 70B parameters, "
    "trained on 1.4T tokens; the 13B model reaches 55.8 with 5-shot prompting.",
)
PROBES = (
    "Large language models are trained on web-scale text.",
    "Quand faut-il préférer un modèle affiné à un grand modèle de langage ?",
    "검색 증강 생성은 외부 문서를 근거로 답을 만든다.",
    # Longer than a sliding-attention window (512 tokens at most are read): checks the window mask. Not
    # repetitive: a token of a repeated sentence barely depends on far context, whatever the mask.
    " ".join(random.Random(0).choices("retrieval evidence model cites passage question answer 문서 근거 모델 "
                                      "réponse modèle distillation benchmark tokens 2023 LLM 검색".split(), k=400)),
)


def export_dir(name: str, model_id: str, backend: str, settings: Settings) -> Path:
    """Where the export of this exact model (its id names the folder and file sizes) is cached."""
    digest = hashlib.sha1(model_id.encode()).hexdigest()[:12]
    return settings.models_dir / "exported" / f"{name}-{digest}-{backend}"


def export_folder(model_id: str, backend: str, settings: Settings) -> Path:
    """``export_dir`` of the configured embedding model."""
    return export_dir(Path(settings.embedding_model).name, model_id, backend, settings)


def exported_model(model_path: Path, model_id: str, backend: str, settings: Settings) -> Path:
    """The verified ONNX file for this model and backend: the cached one, or exported now (minutes).

    A failed export is remembered in the folder's manifest (for this source model and recipe) and raised
    again at once on later calls, not retried: delete the folder to try again.
    """
    folder = export_folder(model_id, backend, settings)
    failed = remembered_failure(folder, model_id, RECIPES[backend])
    if failed is not None:
        raise ModelError(f"{model_path}: its {backend} export failed before ({failed}); "
                         f"delete {folder} to try again")
    problem = verification_problem(folder, model_id, RECIPES[backend])
    if problem is None:
        return folder / MODEL_FILE
    if folder.exists():
        log.warning("%s: %s; exporting it again", folder, problem)
    log.info("exporting %s to ONNX (%s) once, %s; later starts reuse %s",
             model_path, backend, TYPICAL_EXPORT[backend], folder)
    staging = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    started = time.perf_counter()
    try:
        try:
            cosine = _export(model_path, staging, quantise=backend == "onnx-int8")
            if cosine < MIN_PROBE_COSINE:
                raise ModelError(f"probe cosine {cosine:.3f} < {MIN_PROBE_COSINE}")
        except (OSError, MemoryError):  # the machine's state (disk, memory), not the model's: tried again next time
            raise
        except Exception as exc:
            reason = str(exc) if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"
            remember_failure(folder, model_id, backend, reason)
            raise ModelError(f"{model_path}: its {backend} export failed ({reason}); "
                             "set SURVEY_RAG_EMBEDDING_BACKEND=torch for this model") from exc
        manifest = {"source_model": model_id, "backend": backend, "recipe": RECIPES[backend],
                    "sha256": sha256_file(staging / MODEL_FILE), "probe_cosine": round(cosine, 5),
                    "export_seconds": round(time.perf_counter() - started, 1)}
        if (staging / DATA_FILE).is_file():
            manifest["data_sha256"] = sha256_file(staging / DATA_FILE)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("exported %s in %.0f s (probe cosine %.4f)", folder, manifest["export_seconds"], cosine)
    return folder / MODEL_FILE


def remember_failure(folder: Path, model_id: str, backend: str, reason: str) -> None:
    """Record in ``folder`` that this model cannot run as ``backend`` by the current recipe, and why."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    manifest = {"source_model": model_id, "backend": backend, "recipe": RECIPES[backend], "failed": reason}
    (folder / f"{MANIFEST}.tmp").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(folder / f"{MANIFEST}.tmp", folder / MANIFEST)


def remembered_failure(folder: Path, model_id: str, recipe: str) -> str | None:
    """Why this model's export by this recipe failed before, or None when it did not (or was not tried)."""
    manifest = _manifest(folder)
    if manifest.get("source_model") != model_id or manifest.get("recipe") != recipe:
        return None
    return manifest.get("failed")


def verification_problem(folder: Path, model_id: str, recipe: str) -> str | None:
    """Why the cached export cannot be used (missing, for another model or recipe, altered), or None."""
    manifest = _manifest(folder)
    if not manifest:
        return "no complete export"
    if manifest.get("source_model") != model_id:
        return "exported from another model"
    if manifest.get("recipe", RECIPES["onnx"]) != recipe:  # exports before recipes were recorded: fp32 ones reused
        return f"exported by another recipe ({manifest.get('recipe')}, now {recipe})"
    if "failed" in manifest:
        return f"the export failed ({manifest['failed']})"
    if not (folder / MODEL_FILE).is_file() or sha256_file(folder / MODEL_FILE) != manifest.get("sha256"):
        return f"{MODEL_FILE} does not match its recorded SHA-256"
    if "data_sha256" in manifest and (not (folder / DATA_FILE).is_file()
                                      or sha256_file(folder / DATA_FILE) != manifest["data_sha256"]):
        return f"{DATA_FILE} does not match its recorded SHA-256"
    return None


def _manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def load_session(path: Path, n_threads: int):
    """An ONNX Runtime CPU session on ``path`` with all graph optimisations."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, n_threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _export(model_path: Path, out: Path, quantise: bool) -> float:
    """Write ``out/model.onnx``; returns the probe cosine against torch."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager", local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    wrapper = _token_embeddings_module(model)
    # Traced on two short probes, checked on all of them: a shape the trace baked in shows as a mismatch.
    traced = tokenizer(list(PROBES[:2]), padding=True, return_tensors="pt")
    probe = tokenizer(list(PROBES), padding=True, truncation=True, max_length=512, return_tensors="pt")
    inputs = (probe["input_ids"], probe["attention_mask"])
    fp32 = out / "fp32.onnx"
    with torch.inference_mode():
        reference = wrapper(*inputs).numpy()
    if quantise and smoothable(model):  # after the reference: the probe compares against the unchanged model
        smooth(model, [tokenizer(text, return_tensors="pt") for text in CALIBRATION], SMOOTH_ALPHA)
    torch.onnx.export(
        wrapper, (traced["input_ids"], traced["attention_mask"]), str(fp32), input_names=["input_ids", "attention_mask"], output_names=["token_embeddings"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_embeddings")},
        opset_version=17, dynamo=False,
    )
    del model, wrapper
    if quantise:
        _quantise(fp32, out / MODEL_FILE)
        fp32.unlink()
    else:
        os.replace(fp32, out / MODEL_FILE)
    _table_beside(out / MODEL_FILE)
    session = load_session(out / MODEL_FILE, n_threads=os.cpu_count() or 1)
    got = session.run(None, {"input_ids": inputs[0].numpy(), "attention_mask": inputs[1].numpy()})[0]
    return _mean_token_cosine(reference, got, inputs[1].numpy())


def _table_beside(path: Path) -> None:
    """Rewrite ``path`` with its token table (its one initializer over ``_EXTERNAL_BYTES``) in ``DATA_FILE``."""
    import onnx
    from onnx.external_data_helper import convert_model_to_external_data

    model = onnx.load(str(path))
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location=DATA_FILE,
                                   size_threshold=_EXTERNAL_BYTES)
    onnx.save_model(model, str(path))


def _quantise(fp32: Path, out: Path) -> None:
    """Write ``out``: ``fp32`` with int8 weights, as RECIPES["onnx-int8"] says."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    down = [node.name for node in onnx.load(str(fp32), load_external_data=False).graph.node
            if node.op_type == "MatMul" and DOWN_PROJ in node.name]
    dynamic = out.with_name("dynamic.onnx")
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))  # both quantisers log INFO lines per node (thousands), some on root
    try:
        quantize_dynamic(str(fp32), str(dynamic), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=down)
        # Only the excluded MatMuls still have constant fp32 weights: they alone become MatMulNBits.
        quantizer = MatMulNBitsQuantizer(onnx.load(str(dynamic)), bits=8, block_size=DOWN_BLOCK, is_symmetric=True,
                                         accuracy_level=4, op_types_to_quantize=("MatMul",))
        quantizer.process()
        quantizer.model.save_model_to_file(str(out), use_external_data_format=False)
    finally:
        root.setLevel(level)
        dynamic.unlink(missing_ok=True)


def _mean_token_cosine(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    real = mask.astype(bool)
    x, y = a[real], b[real]
    cos = (x * y).sum(-1) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1) + 1e-12)
    return float(cos.mean())


def _additive_mask(attention_mask, window: int | None = None):
    """Mask added to attention scores: 0 where a token may attend, very negative elsewhere.

    Built here rather than by transformers, whose mask code (vmap) the ONNX exporter cannot trace.
    A bidirectional encoder attends to every real token; in a sliding-window layer only to those
    at most ``window`` positions away.
    """
    import torch

    low = torch.finfo(torch.float32).min
    mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * low  # (batch, 1, 1, tokens)
    if window is None:
        return mask
    pos = torch.ones_like(attention_mask[0]).cumsum(0)  # 1..tokens; arange(shape) would be traced as a constant
    far = ((pos[None, :] - pos[:, None]).abs() > window).to(torch.float32) * low  # (tokens, tokens)
    return torch.clamp(mask + far[None, None], min=low)


def _token_embeddings_module(model):
    """The Hugging Face model as (input_ids, attention_mask) → last hidden state, for export."""
    import torch

    config = model.config
    layer_types = sorted(set(getattr(config, "layer_types", None) or ()))
    # As transformers' bidirectional sliding layers (gemma3's _bidirectional_window_overlay): attend
    # |q - kv| < config.sliding_window, which transformers sets to 257 on loading EmbeddingGemma (512
    # in its config.json); the long probe checks it.
    window = (getattr(config, "sliding_window", None) or 0) - 1
    window = window if window > 0 else None

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            if layer_types:  # Gemma 3 and others take one mask per attention kind
                mask = {kind: _additive_mask(attention_mask, window if kind == "sliding_attention" else None)
                        for kind in layer_types}
            else:
                mask = _additive_mask(attention_mask)
            return self.inner(input_ids=input_ids, attention_mask=mask, use_cache=False).last_hidden_state

    return TokenEmbeddings(model)
