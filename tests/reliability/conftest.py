"""Shared pieces of the reliability suite (issue 5): iteration counts, figures, small helpers.

Every test here is marked ``reliability``, so ``pytest -m reliability`` runs the suite alone.
CI runs reduced iteration counts; ``SURVEY_RAG_FULL=1`` runs the full ones. Each scenario
writes the figures it measured to ``test-output/reliability/<scenario>.json`` (docs/RELIABILITY.md
quotes them).
"""

from __future__ import annotations

import json
import random
import string
import time
from pathlib import Path

from rag.llm.llama_cpp_backend import LlamaCppGenerator
from rag.prompt import prompt_tokens

from conftest import CORPUS, EMBEDDING_CACHE, FULL, REPO, make_settings  # noqa: F401  (re-exported)

SMALL_EMBEDDING = "all-minilm-l6-v2"
SMALL_LLM = "smollm2-135m-instruct-q4_1"
FIGURES = REPO / "test-output" / "reliability"


def iterations(full: int, ci: int) -> int:
    """The full count with SURVEY_RAG_FULL=1, else the reduced CI count."""
    return full if FULL else ci


def record(scenario: str, **figures) -> dict:
    """Store (and print) the figures a scenario measured; several tests may add to one file."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / f"{scenario}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data.update(figures)
    data["full_counts"] = FULL
    data["recorded_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)
    print(f"\n[{scenario}] " + json.dumps(figures, ensure_ascii=False, default=str)[:2000])
    return data


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def codeword(rng: random.Random, length: int = 11) -> str:
    """A made-up word no document or model has seen: retrieval can only find it by its own text."""
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants if i % 2 == 0 else vowels) for i in range(length))


_NOUNS = ("student model", "teacher model", "retriever", "tokenizer", "reward model", "adapter", "decoder",
          "benchmark", "prompt", "corpus", "embedding", "context window", "loss curve", "checkpoint")
_VERBS = ("improves", "compresses", "ranks", "rewrites", "filters", "scores", "imitates", "summarises",
          "calibrates", "predicts")
_TOPICS = ("instruction tuning", "distillation", "retrieval", "evaluation", "pre-training", "alignment",
           "quantisation", "few-shot prompting", "scaling laws", "data cleaning")


def prose(rng: random.Random, sentences: int, tag: str) -> str:
    """English sentences that no cache has seen before (``tag`` makes them unique)."""
    out = []
    for i in range(sentences):
        a, b = rng.sample(_NOUNS, 2)
        out.append(
            f"In note {tag}-{i} the {a} {rng.choice(_VERBS)} the {b} during {rng.choice(_TOPICS)} "
            f"with {rng.randint(2, 990)} examples."
        )
    return " ".join(out)


def random_tag(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(6))


def rendered_prompt_tokens(generator, messages) -> int:
    """Tokens of the prompt exactly as llama.cpp sends it: the model's own chat template, tokenised
    with special tokens (falls back to the pipeline's accounting for other backends)."""
    if isinstance(generator, LlamaCppGenerator):
        return len(generator.chat_prompt_tokens(messages))
    return prompt_tokens(messages, generator.count_tokens)


class RecordingGenerator:
    """Wraps a real generator and keeps every prompt it was sent, with its exact token count."""

    def __init__(self, inner):
        self.inner = inner
        self.name = getattr(inner, "name", "recording")
        self.calls: list[list[dict]] = []
        self.prompt_tokens: list[int] = []

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def stream_chat(self, messages, max_tokens, temperature=0.0, stop=(), banned=()):
        self.calls.append([dict(m) for m in messages])
        self.prompt_tokens.append(rendered_prompt_tokens(self.inner, messages))
        yield from self.inner.stream_chat(messages, max_tokens=max_tokens, temperature=temperature, stop=stop, banned=banned)
