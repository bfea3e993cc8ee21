"""What prompt-lookup speculative decoding would buy the default GGUF on this machine (the
"tried and not kept" row of docs/BENCHMARKS.md).

Greedy answers often copy runs of tokens from their passages; prompt lookup drafts the tokens that
followed the last n-gram where it occurred before, and one batched decode checks the drafts. The
gain depends on two measured things: how many drafted tokens the model's real answers would
accept, and what a batch of 1 + k tokens costs against a batch of one. The script answers dev
questions through the pipeline, keeps every model call's prompt and reply tokens, times batched
decodes, and replays the replies under each drafting setting:

    .venv/bin/python scripts/estimate_prompt_lookup.py --questions 15

With greedy decoding the replayed replies are exactly what speculative decoding would produce.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from rag.evaluate import load_items
from rag.pipeline import RagPipeline
from survey_rag.bench import PromptCounter, pick_questions
from survey_rag.settings import PROJECT_ROOT, Settings

log = logging.getLogger("estimate_prompt_lookup")


def capture_calls(pipeline: RagPipeline, questions: list[str]) -> list[tuple[list[int], list[int]]]:
    """(prompt tokens, reply tokens) of every model call made while answering ``questions``."""
    generator = pipeline.generator
    counter, calls, inner = PromptCounter(generator.llm), [], generator.stream_chat

    def recording(messages, **kwargs):
        reply = "".join(inner(messages, **kwargs))
        calls.append((counter.tokens(messages), generator.llm.tokenize(reply.encode("utf-8"), add_bos=False)))
        yield reply

    pipeline.warm_up()
    generator.stream_chat = recording
    for question in questions:
        pipeline.answer(question)
    generator.stream_chat = inner
    return calls


def batch_costs(llm, context: list[int], sizes: range, reps: int = 7) -> dict[int, float]:
    """Median seconds of one decode of ``k`` tokens after ``context``, for each k in ``sizes``."""
    llm.reset()
    llm.eval(context)
    n = llm.n_tokens
    times: dict[int, list[float]] = {k: [] for k in sizes}
    for _ in range(reps):
        for k in sizes:
            llm._ctx.kv_cache_seq_rm(-1, n, -1)
            started = time.perf_counter()
            llm._batch.set_batch(batch=context[:k], n_past=n, logits_all=True)
            llm._ctx.decode(llm._batch)
            times[k].append(time.perf_counter() - started)
    llm.reset()
    return {k: statistics.median(v) for k, v in times.items()}


def draft(context: list[int], max_draft: int, min_ngram: int, max_ngram: int = 4) -> list[int]:
    """The tokens that followed the latest earlier occurrence of the context's last n-gram."""
    for n in range(max_ngram, min_ngram - 1, -1):
        tail = context[-n:]
        for i in range(len(context) - n - 1, -1, -1):
            if context[i : i + n] == tail:
                return context[i + n : i + n + max_draft]
    return []


def replay(calls, cost: dict[int, float], max_draft: int, min_ngram: int) -> float:
    """Speed-up of generation under prompt lookup: plain decode time over speculative decode time."""
    plain = speculative = 0.0
    for prompt, reply in calls:
        i = 0
        while i < len(reply):
            proposal = draft(prompt + reply[:i], max_draft, min_ngram)
            accepted = 0
            while accepted < len(proposal) and i + accepted < len(reply) and proposal[accepted] == reply[i + accepted]:
                accepted += 1
            speculative += cost[1 + len(proposal)]
            i += accepted + 1
        plain += cost[1] * len(reply)
    return plain / speculative


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=15, help="answerable dev questions, languages in turn")
    args = parser.parse_args()
    pipeline = RagPipeline.from_settings(Settings.load())
    items = pick_questions(load_items(Path(PROJECT_ROOT) / "survey_rag" / "data" / "dev.jsonl"), args.questions)
    calls = capture_calls(pipeline, [item.question for item in items])
    longest = max(calls, key=lambda c: len(c[0]))[0]
    cost = batch_costs(pipeline.generator.llm, longest, range(1, 7))
    print(f"{len(calls)} model calls, {sum(len(r) for _, r in calls)} reply tokens")
    print("| batch of k tokens | " + " | ".join(str(k) for k in cost) + " |")
    print("| --- |" + " --- |" * len(cost))
    print("| ms (x one token) | " + " | ".join(f"{1000 * v:.0f} ({v / cost[1]:.2f})" for v in cost.values()) + " |")
    print("\n| drafted tokens | min n-gram 1 | min n-gram 2 | min n-gram 3 |\n| --- | --- | --- | --- |")
    for max_draft in (2, 3, 4, 5):
        row = " | ".join(f"{replay(calls, cost, max_draft, n):.2f}x" for n in (1, 2, 3))
        print(f"| {max_draft} | {row} |")


if __name__ == "__main__":
    main()
