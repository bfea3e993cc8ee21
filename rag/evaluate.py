"""Evaluation on a JSONL question set (the format of the bundled dev set).

Each line: ``id, lang, question, answerable, gold[{doc, evidence}], answer_keywords, kind,
answer_facts, answer_summary_en``.
A retrieved passage is a hit for a gold item when it comes from the gold document and,
after NFKC normalisation and whitespace folding, contains at least half of the gold
evidence as one contiguous piece.

An answer states a fact (one of ``answer_facts``, a list of alternative wordings) when one
alternative occurs in its text, case-folded and NFKC-normalised, [n] markers removed; a
refused answer states none.

Example:
    >>> items = load_items(Path("survey_rag/data/dev.jsonl"))  # doctest: +SKIP
    >>> report = evaluate(items, pipeline, retrieval_only=True)  # doctest: +SKIP
    >>> print(format_report(report))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Callable, Iterable, Sequence

from core.language import detect_language
from core.text import one_line, strip_citation_markers
from rag.types import Answer, Hit

_SPACE = re.compile(r"\s+")
KS = (1, 3, 5, 10)


@dataclass(frozen=True)
class GoldItem:
    doc: str
    evidence: str


@dataclass(frozen=True)
class EvalItem:
    id: str
    lang: str
    question: str
    answerable: bool
    gold: tuple[GoldItem, ...]
    answer_keywords: tuple[str, ...]
    kind: str
    answer_facts: tuple[tuple[str, ...], ...] = ()  # each fact: alternative wordings, any one suffices
    answer_summary_en: str = ""


def load_items(path: Path) -> list[EvalItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(
                EvalItem(
                    id=raw["id"], lang=raw["lang"], question=raw["question"], answerable=bool(raw["answerable"]),
                    gold=tuple(GoldItem(g["doc"], g["evidence"]) for g in raw.get("gold", [])),
                    answer_keywords=tuple(raw.get("answer_keywords", [])), kind=raw.get("kind", ""),
                    answer_facts=tuple(tuple(alternatives) for alternatives in raw.get("answer_facts", [])),
                    answer_summary_en=raw.get("answer_summary_en", ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not an evaluation item ({exc})") from exc
    return items


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def is_hit(hit: Hit, gold: GoldItem) -> bool:
    """The hit rule (see module docstring); documents match by seed name, file name or title."""
    names = {hit.document.seed, Path(hit.document.source).name, hit.document.title}
    if gold.doc not in names:
        return False
    passage, evidence = normalise(hit.chunk.text), normalise(gold.evidence)
    if not evidence:
        return False
    match = SequenceMatcher(None, passage, evidence, autojunk=False).find_longest_match(
        0, len(passage), 0, len(evidence)
    )
    return match.size * 2 >= len(evidence)


def first_hit_rank(hits: Sequence[Hit], gold: Sequence[GoldItem]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if any(is_hit(hit, g) for g in gold):
            return rank
    return None


def retrieval_metrics(ranks: Sequence[int | None]) -> dict:
    n = len(ranks)
    if n == 0:
        return {"n": 0}
    out = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}
    out["mrr@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    out["n"] = n
    return out


def keywords_present(text: str, keywords: Iterable[str]) -> bool:
    folded = text.casefold()
    return all(k.casefold() in folded for k in keywords)


def _fold(text: str) -> str:
    return normalise(text).casefold()


def facts_present(text: str, facts: Sequence[Sequence[str]]) -> list[bool]:
    """Per fact, whether one of its alternatives occurs in ``text`` (markers removed, see module docstring)."""
    folded = _fold(strip_citation_markers(text))
    return [any(_fold(alternative) in folded for alternative in fact) for fact in facts]


@dataclass(frozen=True)
class ItemResult:
    item: EvalItem
    rank: int | None
    answer: Answer | None = None
    ttft_s: float | None = None
    total_s: float | None = None


def evaluate(
    items: Sequence[EvalItem],
    retrieve: Callable[[str], Sequence[Hit]],
    answer: Callable[[str], tuple[Answer, float, float]] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> dict:
    """Run retrieval (and answering unless ``answer`` is None) over ``items``; return the metrics dict.

    ``answer(question)`` returns (answer, seconds to first token, total seconds).
    """
    results = []
    for item in items:
        hits = retrieve(item.question) if item.answerable else []
        rank = first_hit_rank(hits, item.gold) if item.answerable else None
        result = ItemResult(item, rank)
        if answer is not None:
            ans, ttft, total = answer(item.question)
            result = ItemResult(item, rank, ans, ttft, total)
        results.append(result)
        if on_item:
            on_item(result)
    return summarise(results, with_answers=answer is not None)


def summarise(results: Sequence[ItemResult], with_answers: bool) -> dict:
    answerable = [r for r in results if r.item.answerable]
    retrieval = retrieval_metrics([r.rank for r in answerable])
    retrieval["by_lang"] = _group(answerable, lambda r: r.item.lang)
    retrieval["by_kind"] = _group(answerable, lambda r: r.item.kind)
    report: dict = {"retrieval": retrieval, "answers": None, "items": [_item_row(r) for r in results]}
    if with_answers:
        report["answers"] = answer_metrics(results)
    return report


def _group(results: Sequence[ItemResult], key: Callable[[ItemResult], str]) -> dict:
    groups: dict[str, list[int | None]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r.rank)
    return {k: retrieval_metrics(v) for k, v in sorted(groups.items())}


def answer_metrics(results: Sequence[ItemResult]) -> dict:
    """Answer quality over the questions that were answered (see ``answer_figures`` for the fact keys),
    also per language and per kind, and one row per question (``per_question``)."""
    answered = [r for r in results if r.answer is not None]
    answerable = [r for r in answered if r.item.answerable]
    unanswerable = [r for r in answered if not r.item.answerable]
    ttfts = [r.ttft_s for r in answered if r.ttft_s is not None]
    totals = [r.total_s for r in answered if r.total_s is not None]
    # Answers, not dumps of evidence: the length of the answers' text, markers left out.
    lengths = [len(strip_citation_markers(r.answer.text)) for r in answered if not r.answer.refused]
    return {
        "language_match": _share(answered, language_matches),
        "cited_gold": _share(answerable, cites_gold),
        "keywords": _share(answerable, lambda r: keywords_present(r.answer.text, r.item.answer_keywords)),
        "refused_unanswerable": _share(unanswerable, lambda r: r.answer.refused),
        "false_refusals": sum(1 for r in answerable if r.answer.refused),
        **answer_figures(answered),
        "answer_chars_p50": _percentile(lengths, 50),
        "answer_chars_p90": _percentile(lengths, 90),
        "ttft_p50_s": _percentile(ttfts, 50),
        "ttft_p95_s": _percentile(ttfts, 95),
        "total_p50_s": _percentile(totals, 50),
        "total_p95_s": _percentile(totals, 95),
        "n": len(answered),
        "by_lang": _answer_groups(answered, lambda r: r.item.lang),
        "by_kind": _answer_groups(answered, lambda r: r.item.kind),
        "per_question": [question_row(r) for r in answered],
    }


def answer_figures(answered: Sequence[ItemResult]) -> dict:
    """Facts and refusals of answered results (``r.answer`` set).

    ``facts``: share of answerable questions with facts whose answer states all of them;
    ``facts_mean``: mean share of their facts stated; ``no_fact_answers``: share of them answered (not
    refused) stating none; ``answered_by_model``: share of the non-refused answers whose text is the
    model's own (no notice: the evidence fallback and the uncited reply carry one).
    """
    graded = [r for r in answered if r.item.answerable and r.item.answer_facts]
    not_refused = [r for r in answered if not r.answer.refused]
    unanswerable = [r for r in answered if not r.item.answerable]
    return {
        "facts": _share(graded, lambda r: all(stated_facts(r))),
        "facts_mean": statistics.fmean(_fact_share(r) for r in graded) if graded else None,
        "no_fact_answers": _share(graded, lambda r: not r.answer.refused and not any(stated_facts(r))),
        "facts_n": len(graded),
        "answered_by_model": _share(not_refused, lambda r: not r.answer.notice),
        "answerable_refused": sum(1 for r in answered if r.item.answerable and r.answer.refused),
        "unanswerable_refused": sum(1 for r in unanswerable if r.answer.refused),
        "unanswerable_refused_share": _share(unanswerable, lambda r: r.answer.refused),
        "answerable_n": sum(1 for r in answered if r.item.answerable),
        "unanswerable_n": len(unanswerable),
    }


def stated_facts(r: ItemResult) -> list[bool]:
    """Per fact of the question, whether the answer states it (a refusal states none)."""
    if r.answer is None or r.answer.refused:
        return [False] * len(r.item.answer_facts)
    return facts_present(r.answer.text, r.item.answer_facts)


def _fact_share(r: ItemResult) -> float:
    stated = stated_facts(r)
    return sum(stated) / len(stated)


# The JSON keeps the whole answer (reading failures needs it); the printed listing cuts it to a line.
_MAX_ANSWER_CHARS_KEPT = 4000


def question_row(r: ItemResult) -> dict:
    """One answered question: which facts are missing, whether it failed (an answerable question
    refused or missing a fact, an unanswerable one answered)."""
    stated = stated_facts(r)
    missing = [list(fact) for fact, ok in zip(r.item.answer_facts, stated) if not ok]
    failed = (r.answer.refused or bool(missing)) if r.item.answerable else not r.answer.refused
    return {
        "id": r.item.id, "lang": r.item.lang, "kind": r.item.kind, "answerable": r.item.answerable,
        "refused": r.answer.refused, "by_model": not r.answer.notice, "facts": f"{sum(stated)}/{len(stated)}",
        "missing_facts": missing, "failed": failed, "answer": one_line(r.answer.text, _MAX_ANSWER_CHARS_KEPT),
    }


def _answer_groups(answered: Sequence[ItemResult], key: Callable[[ItemResult], str]) -> dict:
    groups: dict[str, list[ItemResult]] = {}
    for r in answered:
        groups.setdefault(key(r), []).append(r)
    return {k: answer_figures(v) for k, v in sorted(groups.items())}


def _share(rows: Sequence[ItemResult], pred: Callable[[ItemResult], bool]) -> float | None:
    return sum(1 for r in rows if pred(r)) / len(rows) if rows else None


def language_matches(r: ItemResult) -> bool:
    return detect_language(r.answer.text, r.item.lang) == r.item.lang


def cites_gold(r: ItemResult) -> bool:
    return any(is_hit(c.hit, g) for c in r.answer.citations for g in r.item.gold)


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def _item_row(r: ItemResult) -> dict:
    row = {"id": r.item.id, "lang": r.item.lang, "kind": r.item.kind, "rank": r.rank}
    if r.answer is not None:
        row.update(
            refused=r.answer.refused, text=r.answer.text, cited=[c.n for c in r.answer.citations],
            language_match=language_matches(r), ttft_s=r.ttft_s, total_s=r.total_s,
        )
        if r.item.answerable:
            row.update(cited_gold=cites_gold(r), keywords=keywords_present(r.answer.text, r.item.answer_keywords))
    return row


def format_report(report: dict) -> str:
    """The metrics as a plain-text table."""
    ret = report["retrieval"]
    lines = ["retrieval (answerable questions)", f"{'group':24} {'n':>3} {'R@1':>6} {'R@5':>6} {'MRR@10':>7}"]

    def row(name: str, m: dict) -> str:
        if not m["n"]:  # a set of unanswerable questions only has no gold passage to rank
            return f"{name:24} {0:>3} {'-':>6} {'-':>6} {'-':>7}"
        return f"{name:24} {m['n']:>3} {m['recall@1']:>6.3f} {m['recall@5']:>6.3f} {m['mrr@10']:>7.3f}"

    lines.append(row("all", ret))
    for name, m in ret["by_lang"].items():
        lines.append(row(f"lang={name}", m))
    for name, m in ret["by_kind"].items():
        lines.append(row(f"kind={name}", m))
    ans = report.get("answers")
    if ans:
        lines.append("")
        lines.append("answers")
        for key in ("language_match", "cited_gold", "keywords", "refused_unanswerable", "false_refusals",
                    "facts", "facts_mean", "no_fact_answers", "answered_by_model", "answerable_refused",
                    "unanswerable_refused", "unanswerable_refused_share", "answer_chars_p50", "answer_chars_p90",
                    "ttft_p50_s", "ttft_p95_s", "total_p50_s", "total_p95_s", "n"):
            lines.append(f"{key:27} {_cell(ans[key], 0)}")
        lines.append("")
        lines.extend(_answer_table(ans))
    return "\n".join(lines)


def _answer_table(ans: dict) -> list[str]:
    """Facts and refusals for all questions, per language and per kind."""
    lines = [f"{'group':24} {'n':>3} {'facts':>6} {'mean':>6} {'nofact':>6} {'model':>6} "
             f"{'A-ref':>5} {'U-ref':>5} {'U-ref%':>6}"]

    def row(name: str, m: dict) -> str:
        return (f"{name:24} {m['answerable_n'] + m['unanswerable_n']:>3} {_cell(m['facts'], 6)} "
                f"{_cell(m['facts_mean'], 6)} {_cell(m['no_fact_answers'], 6)} {_cell(m['answered_by_model'], 6)} "
                f"{m['answerable_refused']:>5} {m['unanswerable_refused']:>5} {_cell(m['unanswerable_refused_share'], 6)}")

    lines.append(row("all", ans))
    lines.extend(row(f"lang={name}", m) for name, m in ans["by_lang"].items())
    lines.extend(row(f"kind={name}", m) for name, m in ans["by_kind"].items())
    return lines


def _cell(value: object, width: int) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width}.3f}" if isinstance(value, float) else f"{value!s:>{width}}"


def format_failures(report: dict) -> str:
    """The failed questions (see ``question_row``), one line each with the missing facts (their first
    wordings) and the start of the answer; empty without answers."""
    ans = report.get("answers")
    if not ans:
        return ""
    failed = [q for q in ans["per_question"] if q["failed"]]
    lines = [f"failures ({len(failed)} of {len(ans['per_question'])})"]
    for q in failed:
        if not q["answerable"]:
            status = "answered unanswerable"
        else:
            missing = "; ".join(" / ".join(fact[:2] + (["…"] if len(fact) > 2 else [])) for fact in q["missing_facts"])
            status = f"{'refused' if q['refused'] else 'answered'}, facts {q['facts']}, missing: {missing or '-'}"
        lines.append(f"{q['id']} {q['lang']} {q['kind']}: {status}")
        lines.append(f"    {one_line(q['answer'], 160)}")
    return "\n".join(lines)
