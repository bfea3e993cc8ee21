"""Answering dev questions through the real pipeline: when the sources arrive, the first token and
the whole answer, the prompt's tokens, and llama.cpp's own counters (through the adapter's
``reset_perf`` / ``perf`` / ``chat_prompt_tokens``).

Example:
    >>> calls = CountingGenerator(generator)  # doctest: +SKIP
    >>> pipeline = RagPipeline(settings, embedder, calls)  # doctest: +SKIP
    >>> summary = measure_answers(pipeline, generator, calls, items)  # doctest: +SKIP
    >>> summary.first_token_s.p50  # doctest: +SKIP
    4.1
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator, Sequence

from tqdm.auto import tqdm

from rag.evaluate import EvalItem
from rag.llm.base import Message
from rag.llm.llama_cpp_backend import LlamaCppGenerator
from rag.pipeline import RagPipeline
from rag.prompt import SYSTEM_PROMPT, build_messages
from rag.types import AnswerEvent, SourcesEvent
from survey_rag.bench.machine import reset_peak_rss
from survey_rag.bench.stats import Spread, spread


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the shared start of two token lists (what llama.cpp keeps in its KV cache)."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True)
class QuestionRun:
    id: str
    lang: str
    refused: bool
    sources_s: float
    first_token_s: float | None
    total_s: float
    prompt_tokens: int | None  # the first attempt's chat prompt, by the model's tokenizer
    uncached_prompt_tokens: int | None  # minus the system-prompt prefix llama.cpp reuses
    evaluated_prompt_tokens: int  # what llama.cpp actually computed (all attempts)
    prompt_eval_s: float
    generated_tokens: int
    generation_s: float
    model_calls: int  # the answer, plus a second attempt or a translation of the evidence when needed


@dataclass(frozen=True)
class AnswerSummary:
    questions: int
    generated: int  # questions where the model wrote an answer (not refused before generation)
    refused: int
    sources_shown_s: Spread
    first_token_s: Spread
    total_s: Spread
    prompt_tokens: Spread
    uncached_prompt_tokens: Spread
    evaluated_prompt_tokens: Spread
    cached_prefix_tokens: int
    prompt_tokens_per_s: float | None
    generation_tokens_per_s: float | None
    per_question: tuple[QuestionRun, ...]


class CountingGenerator:
    """The real generator, counting its chat calls."""

    def __init__(self, inner: LlamaCppGenerator):
        self.inner, self.calls = inner, 0

    def stream_chat(self, messages: Sequence[Message], **kwargs) -> Iterator[str]:
        self.calls += 1
        return self.inner.stream_chat(messages, **kwargs)

    def pin_prompt(self, messages: Sequence[Message]) -> None:
        self.inner.pin_prompt(messages)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class PromptCounter:
    """Tokens of a chat prompt exactly as llama-cpp-python renders it (the GGUF's chat template)."""

    def __init__(self, generator: LlamaCppGenerator):
        self._generator = generator
        self._reference = generator.chat_prompt_tokens([{"role": "system", "content": SYSTEM_PROMPT},
                                                        {"role": "user", "content": ""}])

    @property
    def cached_prefix(self) -> int:
        """Tokens of the system prompt block, shared by every question's prompt."""
        return len(self._reference)

    def count(self, messages: Sequence[Message]) -> tuple[int, int]:
        """(total, uncached) prompt tokens."""
        tokens = self._generator.chat_prompt_tokens(messages)
        return len(tokens), len(tokens) - common_prefix_len(tokens, self._reference)


def answer_questions(pipeline: RagPipeline, items: Sequence[EvalItem], counter: PromptCounter,
                     generator: LlamaCppGenerator, calls: CountingGenerator) -> list[QuestionRun]:
    """Answer each question through ``pipeline.stream``: when the sources arrive, the first token and
    the whole answer, the prompt's tokens, and llama.cpp's own counts."""
    runs = []
    for item in tqdm(items, desc="answering", unit="question"):
        generator.reset_perf()
        calls_before = calls.calls
        sources, answer, sources_s = None, None, 0.0
        started = time.perf_counter()
        for event in pipeline.stream(item.question):
            if isinstance(event, SourcesEvent):
                sources, sources_s = event, time.perf_counter() - started
            elif isinstance(event, AnswerEvent):
                answer = event.answer
        total_s = time.perf_counter() - started
        assert sources is not None and answer is not None
        prompt = uncached = None
        if not sources.will_refuse:
            prompt, uncached = counter.count(build_messages(answer.question, sources.language, sources.evidence))
        perf = generator.perf()
        runs.append(QuestionRun(item.id, item.lang, answer.refused, sources_s, answer.timings.get("first_token_s"),
                                answer.timings.get("total_s", total_s), prompt, uncached, perf.prompt_tokens,
                                perf.prompt_s, perf.generated_tokens, perf.generation_s, calls.calls - calls_before))
    return runs


def summarise_answers(runs: Sequence[QuestionRun], cached_prefix: int) -> AnswerSummary:
    """Percentiles over the questions; first-token and answer times over those the model answered."""
    gen = [r for r in runs if r.first_token_s is not None]
    n_prompt, prompt_s = sum(r.evaluated_prompt_tokens for r in runs), sum(r.prompt_eval_s for r in runs)
    n_gen, gen_s = sum(r.generated_tokens for r in runs), sum(r.generation_s for r in runs)
    return AnswerSummary(
        questions=len(runs), generated=len(gen), refused=sum(r.refused for r in runs),
        sources_shown_s=spread([r.sources_s for r in runs]),
        first_token_s=spread([r.first_token_s for r in gen]),
        total_s=spread([r.total_s for r in gen]),
        prompt_tokens=spread([r.prompt_tokens for r in runs if r.prompt_tokens is not None]),
        uncached_prompt_tokens=spread([r.uncached_prompt_tokens for r in runs if r.uncached_prompt_tokens is not None]),
        evaluated_prompt_tokens=spread([r.evaluated_prompt_tokens for r in gen]),
        cached_prefix_tokens=cached_prefix,
        prompt_tokens_per_s=n_prompt / prompt_s if prompt_s > 0 else None,
        generation_tokens_per_s=n_gen / gen_s if gen_s > 0 else None,
        per_question=tuple(runs),
    )


def measure_answers(pipeline: RagPipeline, generator: LlamaCppGenerator, calls: CountingGenerator,
                    items: Sequence[EvalItem]) -> AnswerSummary:
    """Answer ``items`` after the system prompt is cached; the peak-memory window starts with the first
    question. ``pipeline`` answers through ``calls``, which wraps ``generator``."""
    counter = PromptCounter(generator)
    pipeline.warm_up()  # as the chat page does before its first question
    reset_peak_rss()
    runs = answer_questions(pipeline, items, counter, generator, calls)
    return summarise_answers(runs, counter.cached_prefix)

