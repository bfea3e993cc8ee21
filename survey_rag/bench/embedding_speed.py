"""Embedding speed of the configured backend against the plain sentence-transformers fp32 path, on the
same corpus passages in the same run, beside the fp32 FLOP bound of this machine's cores.

The bound: a passage of T tokens costs about 2 × P × T FLOP through the transformer's P non-embedding
parameters (attention over ≤ 512 tokens adds little), and ``sgemm_flops`` measures what the cores
do in fp32 matrix products.

Example:
    >>> speed = measure_embedding_speed(embedder, settings, texts[:8])  # doctest: +SKIP
    >>> speed.speedup_vs_fp32  # doctest: +SKIP
    3.1
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.settings import Settings
from ingest.embed import Embedder


@dataclass(frozen=True)
class EmbeddingSpeed:
    backend: str
    passages: int
    tokens_per_passage: float
    passages_per_s: float  # the configured backend, late chunking included
    tokens_per_s: float
    fp32_passages_per_s: float  # torch fp32 on the same passages, same run
    speedup_vs_fp32: float
    fp32_gflops: float  # measured sgemm on the configured threads
    transformer_params: int  # without the token-embedding table
    fp32_bound_passages_per_s: float


def sgemm_flops(seconds: float = 1.0, n: int = 1024) -> float:
    """Best fp32 FLOP/s of ``n``×``n`` matrix products over about ``seconds``, on torch's threads
    (``Embedder.load`` sets them to ``n_threads``)."""
    import torch

    a = torch.randn(n, n)
    best, spent = 0.0, 0.0
    while spent < seconds:
        started = time.perf_counter()
        a @ a
        took = time.perf_counter() - started
        spent += took
        best = max(best, 2 * n**3 / took)
    return best


def transformer_params(embedder: Embedder) -> int:
    """Parameters of the transformer module minus its token-embedding table (counted, not loaded)."""
    module = list(embedder.model)[0]
    total = sum(p.numel() for p in module.parameters())
    table = max((p.numel() for name, p in module.named_parameters() if "embed_tokens" in name
                 or "word_embeddings" in name), default=0)
    return total - table


_ROUNDS = 3


def _passages_per_s(embedder: Embedder, texts: Sequence[str], spans) -> float:
    started = time.perf_counter()
    embedder.encode_passages_with_sentences(texts, spans)
    return len(texts) / (time.perf_counter() - started)


def measure_embedding_speed(embedder: Embedder, settings: Settings, texts: Sequence[str],
                            spans: Sequence[Sequence[tuple[int, int]]]) -> EmbeddingSpeed:
    """Passages/s of ``embedder`` and of a torch fp32 embedder of the same model on ``texts``: the best of
    ``_ROUNDS`` timings each, the two taken in turn, so that another process's load on the shared cores
    weighs on both alike (single timings of the 8 quick passages read 2.05 × and 3.02 × an hour apart)."""
    tokens = float(np.mean([len(embedder.model.tokenizer(t)["input_ids"]) for t in texts]))
    reference = embedder if embedder.backend == "torch" else Embedder.load(settings.replace(embedding_backend="torch"))
    embedder.encode_passages_with_sentences(texts[:1], spans[:1])  # first-call allocations
    reference.encode_passages_with_sentences(texts[:1], spans[:1])
    default = fp32 = 0.0
    for _ in range(_ROUNDS):
        default = max(default, _passages_per_s(embedder, texts, spans))
        if reference is not embedder:
            fp32 = max(fp32, _passages_per_s(reference, texts, spans))
    fp32 = fp32 or default
    del reference
    gc.collect()
    flops = sgemm_flops()
    params = transformer_params(embedder)
    return EmbeddingSpeed(
        backend=embedder.backend, passages=len(texts), tokens_per_passage=tokens, passages_per_s=default,
        tokens_per_s=default * tokens, fp32_passages_per_s=fp32, speedup_vs_fp32=default / fp32,
        fp32_gflops=flops / 1e9, transformer_params=params,
        fp32_bound_passages_per_s=flops / (2 * params * tokens),
    )
