"""Text generation backends behind one small interface.

``LlamaCppGenerator`` runs a GGUF model in-process with llama-cpp-python and
its chat template; llama.cpp keeps the KV cache of the longest shared prompt
prefix, so fixed instructions placed first are computed once.

Example:
    >>> gen = load_generator(Settings.load())  # doctest: +SKIP
    >>> "".join(gen.stream_chat([{"role": "user", "content": "Say hi"}], max_tokens=8))  # doctest: +SKIP
    'Hi!'
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from survey_rag.models import resolve_model
from survey_rag.settings import Settings

log = logging.getLogger(__name__)

Message = dict[str, str]


class GenerationError(RuntimeError):
    """The model or server could not produce an answer; the message says why and what to do."""


class Generator(Protocol):
    name: str

    def stream_chat(
        self, messages: Sequence[Message], max_tokens: int, temperature: float = 0.0, stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> Iterator[str]:
        """Yield the reply to ``messages`` piece by piece; ``banned`` words are kept out of it where the
        backend can (llama.cpp: each word that is one token of the model, with or without a leading space)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` costs in this model's prompt."""
        ...


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


def load_generator(settings: Settings) -> Generator:
    """The configured backend: an OpenAI-compatible server when ``llm_url`` is set, else llama.cpp."""
    if settings.llm_url:
        from rag.openai_backend import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator.from_settings(settings)
    path = resolve_model(settings.llm_model, settings)
    if path.is_dir() or path.suffix.lower() != ".gguf":
        raise GenerationError(f"{path}: the in-process LLM must be a .gguf file; set SURVEY_RAG_LLM_MODEL to one")
    return LlamaCppGenerator(path, n_ctx=settings.n_ctx, n_threads=settings.n_threads)
