"""SmoothQuant before int8 export: move a Gemma 3 model's activation outliers into its weights.

ONNX Runtime's dynamic int8 MatMul quantises each activation tensor with one scale, and a few of
EmbeddingGemma's input channels run 10-40 × their median (measured max/median of |x| per channel on
corpus chunks: 346/43 into layer 0's q/k/v, 47/1.2 into its down_proj), so one scale leaves the
others a handful of levels. Dividing input channel j by s_j and multiplying the weight's row j by
s_j keeps the fp32 function; folded into the op that produces that input, it costs nothing at run
time. s_j = max|x_j|^α / max|W_j|^(1-α) (Xiao et al. 2023, "SmoothQuant"). Where each scale folds:
q/k/v and gate/up read an RMSNorm (its ``1 + weight`` absorbs 1/s); down_proj reads
act(gate) × up (up_proj's output rows absorb it); o_proj reads attention-weighted values (v_proj's
output rows absorb it, one scale per head dimension since the query heads share the values).

Example:
    >>> layers = smooth(model, calibration_batches, alpha=0.5)  # doctest: +SKIP
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def smoothable(model) -> bool:
    """Whether ``model`` (a Hugging Face base model) has the Gemma 3 layers this module folds into."""
    return getattr(model.config, "model_type", "").startswith("gemma3") and hasattr(model, "layers")


def input_maxima(model, batches) -> dict:
    """Per input channel, max |x| reaching each Linear of ``model`` while it runs ``batches``."""
    import torch

    maxima: dict = {}

    def record(name):
        def hook(_module, inputs):
            x = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0)
            maxima[name] = torch.maximum(maxima[name], x) if name in maxima else x
        return hook

    hooks = [module.register_forward_pre_hook(record(name))
             for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)]
    try:
        with torch.inference_mode():
            for batch in batches:
                model(**batch)
    finally:
        for hook in hooks:
            hook.remove()
    return maxima


def smooth(model, batches, alpha: float) -> int:
    """Fold smoothing scales calibrated on ``batches`` into ``model``'s weights; returns the layers done."""
    import torch

    maxima = input_maxima(model, batches)
    with torch.no_grad():
        for i, layer in enumerate(model.layers):
            attn, mlp, name = layer.self_attn, layer.mlp, f"layers.{i}."
            _into_norm(layer.input_layernorm, (attn.q_proj, attn.k_proj, attn.v_proj),
                       maxima[name + "self_attn.q_proj"], alpha)
            _into_norm(layer.pre_feedforward_layernorm, (mlp.gate_proj, mlp.up_proj),
                       maxima[name + "mlp.gate_proj"], alpha)
            s = _scales(maxima[name + "mlp.down_proj"], mlp.down_proj.weight.abs().amax(0), alpha)
            mlp.up_proj.weight.div_(s[:, None])
            mlp.down_proj.weight.mul_(s[None, :])
            head_dim = attn.v_proj.weight.shape[0]
            per_head = lambda x: x.reshape(-1, head_dim).amax(0)  # noqa: E731
            s = _scales(per_head(maxima[name + "self_attn.o_proj"]), per_head(attn.o_proj.weight.abs().amax(0)), alpha)
            attn.v_proj.weight.div_(s[:, None])
            attn.o_proj.weight.mul_(s.repeat(attn.o_proj.weight.shape[1] // head_dim)[None, :])
    log.info("smoothed %d layers (alpha %.2f) before int8 quantisation", len(model.layers), alpha)
    return len(model.layers)


def _scales(act_max, weight_max, alpha: float):
    return (act_max.clamp(min=1e-5) ** alpha / weight_max.clamp(min=1e-5) ** (1 - alpha)).clamp(min=1e-5)


def _into_norm(norm, linears, act_max, alpha: float) -> None:
    """Divide the Gemma RMSNorm's output (scaled by ``1 + weight``) by s; the Linears reading it take s."""
    import torch

    s = _scales(act_max, torch.stack([lin.weight.abs().amax(0) for lin in linears]).amax(0), alpha)
    norm.weight.copy_((1 + norm.weight) / s - 1)
    for lin in linears:
        lin.weight.mul_(s[None, :])
