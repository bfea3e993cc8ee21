"""Where the answer facts get lost before the model writes: per answerable dev question, whether every fact
is written (literally, as `survey-rag eval` matches them) in the top-5 passages, in the evidence sentences
the model is shown (the chosen ones, then with the context sentences), and in the quotes the answer would
be built from (the first candidates within the answer's length, before any translation). No model runs.

    SURVEY_RAG_DATA_DIR=/tmp/evaldata .venv/bin/python scripts/evidence_chain.py [dev.jsonl]

Facts match literally, so a question whose evidence is in another language than the question counts as
lost at every stage: compare stages with each other, not with the eval's answer figures.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import Settings  # noqa: E402
from rag.checks import comparable_text  # noqa: E402
from rag.compose import _MAX_ANSWER_CHARS, _QUOTES, quote_candidates, quoted_continuation  # noqa: E402
from rag.evaluate import facts_present, load_items  # noqa: E402
from rag.evidence import as_quoted, as_read  # noqa: E402
from rag.pipeline import RagPipeline  # noqa: E402


def quoted(evidence, language: str, index, continued: bool = True) -> str:
    """The quotes an answer without a lead would hold (untranslated), each with its continuation
    (``rag.compose.quoted_continuation``) unless ``continued`` is False."""
    quotes, used, said = [], 0, set()
    for e in quote_candidates(evidence, language):
        if len(quotes) == _QUOTES:
            break
        room = _MAX_ANSWER_CHARS - used
        if comparable_text(e.sentence) in said or (quotes and len(e.sentence) > room):
            continue
        follow = quoted_continuation(e, room, index) if continued else ""
        quotes.append(f"{as_quoted(e)} {follow}" if follow else as_quoted(e))
        said.update(comparable_text(t) for t in (e.sentence, follow) if t)
        used += len(quotes[-1])
    return " ".join(quotes)


def main(path: str) -> None:
    pipeline = RagPipeline.from_settings(Settings.load())
    items = [i for i in load_items(Path(path)) if i.answerable]
    index = pipeline.retriever().index
    stages = {"top-5 passages": 0, "evidence sentences": 0, "evidence and context sentences": 0,
              "quotes, each alone": 0, "quotes": 0}
    for item in items:
        hits, evidence = pipeline.evidence(item.question)
        texts = {"top-5 passages": " ".join(h.chunk.text for h in hits[:5]),
                 "evidence sentences": " ".join(as_read(e) for e in evidence if not e.context),
                 "evidence and context sentences": " ".join(as_read(e) for e in evidence),
                 "quotes, each alone": quoted(evidence, item.lang, index, continued=False),
                 "quotes": quoted(evidence, item.lang, index)}
        for stage, text in texts.items():
            stages[stage] += all(facts_present(text, item.answer_facts))
    for stage, n in stages.items():
        print(f"every fact in the {stage}: {n}/{len(items)} ({n / len(items):.3f})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "survey_rag/data/dev.jsonl")
