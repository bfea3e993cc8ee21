"""What a shorter answer would cost in facts, read off a finished eval run: each answer of the run cut
after its last cited sentence that keeps it within a character cap (markers left out, as `survey-rag eval`
measures length), then scored as `survey-rag eval` scores it. Answers are lead sentences then quotes, so the
cut drops the last quotes first; a cap in `rag.compose` could quote a shorter sentence instead, so this is
an estimate of the trade-off, not a run. No model runs.

    .venv/bin/python scripts/length_cap.py /tmp/ev/evalBB.json [dev.jsonl] [caps…]
"""
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.text import strip_citation_markers  # noqa: E402
from rag.evaluate import facts_present, load_items  # noqa: E402

# One cited sentence (or several sharing markers): text up to and including a run of [n] markers.
_CITED_UNIT = re.compile(r".*?(?:\[\d+\](?:\s*\[\d+\])*|$)", re.DOTALL)


def cut(answer: str, cap: int) -> str:
    """``answer`` up to its last cited sentence within ``cap`` characters (its first sentence at least)."""
    kept: list[str] = []
    for unit in (u.strip() for u in _CITED_UNIT.findall(answer)):
        if not unit:
            continue
        if kept and len(strip_citation_markers(" ".join([*kept, unit]))) > cap:
            break
        kept.append(unit)
    return " ".join(kept)


def main(run: str, questions: str, caps: list[int]) -> None:
    items = {i.id: i for i in load_items(Path(questions))}
    rows = json.loads(Path(run).read_text(encoding="utf-8"))["answers"]["per_question"]
    graded = [r for r in rows if items[r["id"]].answerable and items[r["id"]].answer_facts]
    print(f"{'cap':>6} {'facts':>6} {'mean':>6} {'len p50':>8} {'len p90':>8}")
    for cap in caps:
        stated = [[False] if r["refused"] else facts_present(cut(r["answer"], cap), items[r["id"]].answer_facts)
                  for r in graded]
        lengths = [len(strip_citation_markers(cut(r["answer"], cap))) for r in rows if not r["refused"]]
        p90 = statistics.quantiles(lengths, n=100, method="inclusive")[89]  # as `survey-rag eval` takes it
        print(f"{cap:>6} {sum(all(s) for s in stated) / len(graded):6.3f} "
              f"{statistics.fmean(sum(s) / len(s) for s in stated):6.3f} {statistics.median(lengths):8.1f} {p90:8.1f}")


if __name__ == "__main__":
    default_caps = [100_000, 450, 400, 350, 300, 250]
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "survey_rag/data/dev.jsonl",
         [int(c) for c in sys.argv[3:]] or default_caps)
