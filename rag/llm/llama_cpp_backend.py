"""The in-process llama.cpp backend: the ONLY module that touches llama-cpp-python's internals.

``LlamaCppGenerator`` runs a GGUF model with llama-cpp-python and its chat template; llama.cpp
keeps the KV cache of the longest shared prompt prefix, so fixed instructions placed first are
computed once (and ``pin_prompt`` keeps them across calls with other instructions). It also
exposes what the bench and the tests measure: llama.cpp's own performance counters and the
tokens of a chat prompt exactly as the model's template renders it.

Example:
    >>> gen = LlamaCppGenerator(Path("model.gguf"))  # doctest: +SKIP
    >>> "".join(gen.stream_chat([{"role": "user", "content": "Say hi"}], max_tokens=8))  # doctest: +SKIP
    'Hi!'
    >>> gen.reset_perf(); _ = list(gen.stream_chat(messages, max_tokens=8)); gen.perf()  # doctest: +SKIP
    LlamaPerf(prompt_tokens=31, prompt_s=0.41, generated_tokens=8, generation_s=0.45)
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from rag.llm.base import GenerationError, Message

log = logging.getLogger(__name__)

def llama_cpp_version() -> str:
    import llama_cpp

    return llama_cpp.__version__


@dataclass(frozen=True)
class LlamaPerf:
    """llama.cpp's own counters since the last reset: prompt tokens computed and tokens generated,
    with their time."""

    prompt_tokens: int
    prompt_s: float
    generated_tokens: int
    generation_s: float


@dataclass(frozen=True)
class _PinnedPrompt:
    system: str  # the instructions the state starts with
    state: bytes  # llama.cpp's context state (KV cache) after the pinned prompt
    tokens: np.ndarray  # the prompt's tokens, as llama-cpp-python tracks them for prefix reuse


class LlamaCppGenerator:
    """A GGUF model loaded in this process. One generation at a time (a lock guards the context)."""

    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int = 2):
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - install problem
            raise GenerationError("llama-cpp-python is not installed; run the README's install command") from exc
        started = time.monotonic()
        try:
            self.llm = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=512,
                # llama.cpp repacks the quantized weights for AVX2 into memory of its own; with the file
                # also mapped, both copies stayed resident (RSS 1.9 GB instead of 1.3 GB for the default).
                use_mmap=False,
                verbose=False,
            )
        except Exception as exc:
            raise GenerationError(f"{model_path}: cannot load as a GGUF model ({exc})") from exc
        self.name = Path(model_path).name
        self.load_seconds = time.monotonic() - started
        self._lock = threading.Lock()
        self._pinned: _PinnedPrompt | None = None
        self._bans: dict[tuple[str, ...], dict[int, float]] = {}
        self._formatter = None
        log.info("loaded %s in %.1f s", self.name, self.load_seconds)

    def pin_prompt(self, messages: Sequence[Message]) -> None:
        """Compute ``messages``' prompt and keep llama.cpp's state: after a call with other instructions
        (a translation) the state is restored, so the next call starting like ``messages`` computes only
        what follows the shared start. llama.cpp keeps one prompt cache; the state is ~5 MB.

        >>> gen.pin_prompt(build_messages("?", "en", []))  # doctest: +SKIP
        """
        for _ in self.stream_chat(messages, max_tokens=1):
            pass
        with self._lock:
            import llama_cpp

            # llama.cpp's own state (the KV cache, ~5 MB) and the tokens it holds; not Llama.save_state(),
            # whose copy of every logits row costs ~100 MB and whose load_state writes them all back.
            ctx = self.llm._ctx.ctx
            size = llama_cpp.llama_state_get_size(ctx)
            buffer = (ctypes.c_uint8 * size)()
            used = llama_cpp.llama_state_get_data(ctx, buffer, size)
            self._pinned = _PinnedPrompt(messages[0]["content"], bytes(buffer[:used]),
                                         self.llm.input_ids[: self.llm.n_tokens].copy())

    def _restore_pinned(self) -> None:
        import llama_cpp

        pinned = self._pinned
        data = (ctypes.c_uint8 * len(pinned.state)).from_buffer_copy(pinned.state)
        if llama_cpp.llama_state_set_data(self.llm._ctx.ctx, data, len(pinned.state)) != len(pinned.state):
            raise GenerationError("cannot restore llama.cpp's cached prompt state")
        n = len(pinned.tokens)
        self.llm.input_ids[:n] = pinned.tokens
        self.llm.n_tokens = n

    def reset_perf(self) -> None:
        import llama_cpp

        llama_cpp.llama_perf_context_reset(self.llm._ctx.ctx)

    def perf(self) -> LlamaPerf:
        import llama_cpp

        d = llama_cpp.llama_perf_context(self.llm._ctx.ctx)
        return LlamaPerf(d.n_p_eval, d.t_p_eval_ms / 1000, d.n_eval, d.t_eval_ms / 1000)

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        """The tokens of ``messages`` as this model's chat template renders them (what llama.cpp computes)."""
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            def text(token: int) -> str:
                return self.llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

            self._formatter = Jinja2ChatFormatter(template=self.llm.metadata["tokenizer.chat_template"],
                                                  eos_token=text(self.llm.token_eos()),
                                                  bos_token=text(self.llm.token_bos()))
        prompt = self._formatter(messages=list(messages)).prompt
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _logit_bias(self, banned: Sequence[str]) -> dict[int, float] | None:
        key = tuple(banned)
        if key not in self._bans:
            bias = {}
            for variant in (v for word in key for v in (word, " " + word)):
                tokens = self.llm.tokenize(variant.encode("utf-8"), add_bos=False, special=False)
                if len(tokens) == 1:
                    bias[tokens[0]] = -100.0  # never chosen; a several-token word is left alone
            self._bans[key] = bias
        return self._bans[key] or None

    def stream_chat(
        self, messages: Sequence[Message], max_tokens: int, temperature: float = 0.0, stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> Iterator[str]:
        with self._lock:
            stream = self.llm.create_chat_completion(
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=temperature,
                top_k=1 if temperature == 0 else 40,
                repeat_penalty=1.1,
                logit_bias=self._logit_bias(banned) if banned else None,
                stop=list(stop) or None,
                stream=True,
            )
            try:
                for part in stream:
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            finally:
                if self._pinned is not None and messages[0]["content"] != self._pinned.system:
                    self._restore_pinned()
