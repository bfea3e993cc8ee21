"""5-fold cross-validated figure of choosing among settings from their full eval runs.

For each fold, the option with the highest facts_mean on the other four folds is chosen (on a tie, the one
named first) and its answers on the held-out fold are kept; the pooled answers give the cross-validated
facts, facts_mean and no-fact share.

    .venv/bin/python scripts/cv_option_choice.py "4 sentences" eval4.json "6 sentences" eval6.json [NAME EVAL ...]

(eval*.json: `survey-rag eval --json` of each setting.)
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.calibrate import Record, assign_folds  # noqa: E402

Row = tuple[float, bool, bool]  # share of facts, every fact, no fact (answered)


def load(path: str) -> dict[str, Row]:
    """Per answerable question of an eval JSON: its share of facts (0 when refused) and the two flags."""
    rows = {}
    for q in json.load(open(path, encoding="utf-8"))["answers"]["per_question"]:
        if q["answerable"]:
            stated, total = (int(x) for x in q["facts"].split("/"))
            stated = 0 if q["refused"] else stated
            rows[q["id"]] = (stated / total, stated == total, stated == 0 and not q["refused"])
    return rows


def figures(rows: list[Row]) -> str:
    n = len(rows)
    return (f"facts {sum(r[1] for r in rows) / n:.3f} mean {sum(r[0] for r in rows) / n:.3f} "
            f"no-fact {sum(r[2] for r in rows) / n:.3f}")


def main(options: list[tuple[str, str]]) -> None:
    runs = [(name, load(path)) for name, path in options]
    pooled, picks = [], []
    for fold in assign_folds([Record(i, True, {}) for i in sorted(runs[0][1])], 5):
        held = {r.id for r in fold}
        # max() keeps the first of equal options
        name, rows = max(runs, key=lambda run: sum(row[0] for i, row in run[1].items() if i not in held))
        picks.append(name)
        pooled += [rows[r.id] for r in fold]
    for name, rows in runs:
        print(f"in-sample {name}: {figures(list(rows.values()))}")
    print(f"5-fold CV (chosen by facts_mean on the other folds: {', '.join(picks)}): {figures(pooled)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 4 or len(args) % 2:
        sys.exit("usage: cv_option_choice.py NAME EVAL.json NAME EVAL.json [NAME EVAL.json ...]")
    main(list(zip(args[::2], args[1::2])))
