"""Uncached prompt tokens of the first answering prompt, over the dev questions the refusal gate lets
through, for settings compared side by side (no answer is generated; the model is loaded for its
tokenizer and chat template, as `survey-rag bench` counts them).

    SURVEY_RAG_DATA_DIR=/tmp/evaldata .venv/bin/python scripts/prompt_tokens.py context_sentences 0 2 4
"""
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import Settings  # noqa: E402
from rag.answerability import signals  # noqa: E402
from rag.evaluate import load_items  # noqa: E402
from rag.prompt import build_messages, fit_prompt  # noqa: E402
from rag.pipeline import RagPipeline  # noqa: E402
from rag.question import prepare_question  # noqa: E402
from survey_rag.bench.answers import PromptCounter  # noqa: E402


def main(field: str, values: list[str]) -> None:
    items = load_items(Path("survey_rag/data/dev.jsonl"))
    generator = None
    for value in values:
        settings = Settings.load(overrides={field: value})
        pipeline = RagPipeline.from_settings(settings, generator)
        generator = pipeline.generator
        counter, uncached = PromptCounter(generator), []
        for item in items:
            question = prepare_question(item.question, (), settings.max_question_chars)
            hits, evidence = pipeline.evidence(item.question)
            if signals(question.text, hits, evidence).refuse(settings.refusal_threshold, settings.missing_term_threshold):
                continue
            evidence, _ = fit_prompt(question.text, question.language, evidence, "", settings.prompt_token_budget,
                                     generator.count_tokens)
            uncached.append(counter.count(build_messages(question.text, question.language, evidence))[1])
        uncached.sort()
        print(f"{field}={value}: {len(uncached)} prompts, uncached tokens p50 {statistics.median(uncached):.0f}, "
              f"p90 {uncached[int(0.9 * len(uncached))]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
