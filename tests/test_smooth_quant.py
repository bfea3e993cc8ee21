"""SmoothQuant folding (ingest/smooth_quant.py) on a small random Gemma 3 model: the fp32 function is kept
while the activations reaching the projections lose their outlier channels."""

from __future__ import annotations

import torch
from transformers import BertConfig, BertModel, Gemma3TextConfig, Gemma3TextModel

from ingest.smooth_quant import input_maxima, smooth, smoothable


def _gemma():
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=64, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                              num_attention_heads=3, num_key_value_heads=1, head_dim=16, sliding_window=8)
    model = Gemma3TextModel(config).eval()
    with torch.no_grad():
        for layer in model.layers:  # trained norms are uneven; a fresh model's are all zero
            layer.input_layernorm.weight.normal_(0, 1).mul_(torch.linspace(0, 8, 48))
            layer.pre_feedforward_layernorm.weight.normal_(0, 1)
    return model


def test_smoothing_keeps_the_function_and_flattens_the_channels():
    model = _gemma()
    batches = [{"input_ids": torch.randint(1, 64, (1, 12)), "attention_mask": torch.ones(1, 12, dtype=torch.long)}
               for _ in range(3)]
    check = {"input_ids": torch.randint(1, 64, (2, 10)), "attention_mask": torch.ones(2, 10, dtype=torch.long)}
    with torch.inference_mode():
        before = model(**check).last_hidden_state
    spread = lambda m: (m.max() / m.median()).item()  # noqa: E731
    q_before = spread(input_maxima(model, batches)["layers.0.self_attn.q_proj"])
    assert smoothable(model) and smooth(model, batches, alpha=0.5) == 2
    with torch.inference_mode():
        after = model(**check).last_hidden_state
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4)
    assert spread(input_maxima(model, batches)["layers.0.self_attn.q_proj"]) < q_before


def test_other_architectures_are_left_alone():
    assert not smoothable(BertModel(BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1,
                                               num_attention_heads=2, intermediate_size=32)))
