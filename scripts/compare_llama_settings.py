"""Prompt and generation speed of the default GGUF under one llama.cpp setting (how the "tried and
not kept" rows of docs/BENCHMARKS.md were measured). Run it once per setting, back to back:

    .venv/bin/python scripts/compare_llama_settings.py                 # the product's settings
    .venv/bin/python scripts/compare_llama_settings.py --flash-attn
    .venv/bin/python scripts/compare_llama_settings.py --batch 128
    .venv/bin/python scripts/compare_llama_settings.py --no-repack

Three prompts of ~350 tokens from the corpus, 80 generated tokens each, llama.cpp's own counters.
"""

from __future__ import annotations

import argparse
import logging

import llama_cpp

from survey_rag.models import resolve_model
from survey_rag.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flash-attn", action="store_true")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--mmap", action="store_true", help="map the file (the product reads it into memory)")
    parser.add_argument("--no-repack", action="store_true", help="keep the file's weight layout (llama.cpp repacks Q4_K for AVX2)")
    args = parser.parse_args()
    if args.no_repack:  # llama-cpp-python has no argument for llama_model_params.use_extra_bufts
        defaults = llama_cpp.llama_cpp.llama_model_default_params

        def without_repack():
            params = defaults()
            params.use_extra_bufts = False
            return params

        llama_cpp.llama_cpp.llama_model_default_params = without_repack
    settings = Settings.load()
    llm = llama_cpp.Llama(
        model_path=str(resolve_model(settings.llm_model, settings)), n_ctx=settings.n_ctx,
        n_threads=settings.n_threads, n_threads_batch=settings.n_threads, n_batch=args.batch, n_ubatch=args.batch,
        use_mmap=args.mmap, flash_attn=args.flash_attn, verbose=False,
    )
    text = (settings.corpus_dir / "harnessing-llms-practical-guide.fr.txt").read_text(encoding="utf-8")
    for i in range(3):
        llm.reset()
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        messages = [{"role": "system", "content": "You answer questions."},
                    {"role": "user", "content": text[2000 * i : 2000 * i + 1300] + "\nRésume en trois phrases."}]
        for _ in llm.create_chat_completion(messages=messages, max_tokens=80, temperature=0, top_k=1, stream=True):
            pass
        perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
        logging.info("flash_attn=%s batch=%d repack=%s: %d prompt tokens at %.1f tokens/s, %d generated at %.1f tokens/s",
                     args.flash_attn, args.batch, not args.no_repack, perf.n_p_eval, perf.n_p_eval / (perf.t_p_eval_ms / 1000),
                     perf.n_eval, perf.n_eval / (perf.t_eval_ms / 1000))


if __name__ == "__main__":
    main()
