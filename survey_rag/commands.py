"""Subcommands that build on the answering pipeline: ``ask`` and ``eval``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Callable

from core.settings import Settings
from core.text import one_line
from ingest.pipeline import ensure_index
from rag.answerability import signals
from rag.calibrate import (BEST_EVIDENCE, MISSING_TERM, Record, cross_validate, fixed_threshold, format_cv,
                           gated_refusal, gated_refusal_fit, refusal_fit, refusal_measure)
from rag.evaluate import EvalItem, evaluate, first_hit_rank, format_failures, format_report, load_items
from rag.pipeline import RagPipeline
from rag.scope import UnknownDocumentError, resolve_documents
from rag.question import QuestionError
from rag.types import AnswerEvent, SourcesEvent, TokenEvent
from ui.export import feedback_questions
from ui.handlers import conversation_store

log = logging.getLogger("survey_rag")

DEV_SET = Path(__file__).resolve().parent / "data" / "dev.jsonl"


def register_commands(add: Callable) -> None:
    """Add the answering subcommands to the parser (``add(name, handler, help)``)."""
    p = add("ask", cmd_ask, "answer one question from the indexed documents, with citations")
    p.add_argument("question", help="the question, in Korean, French or English")
    p.add_argument("--json", action="store_true", help="print the structured answer as one JSON object")
    p.add_argument("--top-k", type=int, default=None, help="passages to retrieve")
    p.add_argument("--doc", dest="docs", action="append", metavar="ID_OR_NAME",
                   help="ask only this document (its id, file name or part of its title); repeatable")

    p = add("feedback", cmd_feedback, "export the answers rated on the chat page as evaluation-set questions")
    p.add_argument("action", choices=["export"])
    p.add_argument("--out", type=Path, help="write the JSONL here (default: standard output)")

    p = add("eval", cmd_eval, "measure retrieval and answers on a JSONL question set")
    p.add_argument("file", nargs="?", type=Path, default=DEV_SET, help="questions (default: the bundled dev set)")
    p.add_argument("--retrieval-only", action="store_true", help="skip generation")
    p.add_argument("--json", dest="json_path", type=Path, help="write the metrics as JSON here")
    p.add_argument("--plot", type=Path, help="write a PNG of recall@k by language here")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--min-recall-at-5", type=float, help="exit 1 if recall@5 is below this floor")
    p.add_argument("--folds", type=int, help="instead: fit the refusal threshold on the best evidence score "
                   "and print its in-sample and N-fold cross-validated refusals (no generation)")



def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    ensure_index(settings)
    pipeline = RagPipeline.from_settings(settings)
    documents = None
    if args.docs:
        indexed = pipeline.retriever().index.documents
        try:
            documents = resolve_documents(args.docs, indexed)
        except UnknownDocumentError as exc:
            log.error("--doc %s", exc)
            return 1
        log.info("asking only: %s", "; ".join(indexed[d].title for d in documents))
    try:
        events = pipeline.stream(args.question, top_k=args.top_k, documents=documents)
        answer = None
        for event in events:
            if isinstance(event, SourcesEvent) and not args.json:
                _print_preview(event)
            elif isinstance(event, TokenEvent) and not args.json:
                if event.restart:
                    sys.stdout.write("\n")
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, AnswerEvent):
                answer = event.answer
    except QuestionError as exc:
        log.error("%s", exc)
        return 2
    assert answer is not None
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print("\n")
    print(answer.text)
    if answer.notice:
        print(f"({answer.notice})")
    print()
    shown = answer.citations or ()
    if answer.refused:
        print("nearest passages:")
        for i, hit in enumerate(answer.hits[:3], start=1):
            print(f"  - {hit.document.title} [{hit.chunk.language}] score {hit.score:.2f}\n    {one_line(hit.chunk.text, 200)}")
    for c in shown:
        where = c.hit.document.location_of(c.hit.chunk) or f"chars {c.hit.chunk.start}-{c.hit.chunk.end}"
        print(f"[{c.n}] {c.hit.document.title} ({c.hit.chunk.language}, {where}) support {c.support:.2f}")
        print(f"    {one_line(c.sentence, 200)}")
    return 0


def _print_preview(event) -> None:
    """Sources and the best sentences, shown while the model is still reading its prompt."""
    if event.will_refuse:
        return
    sys.stderr.write("best evidence:\n")
    for e in sorted(event.evidence, key=lambda e: -e.score)[:3]:
        sys.stderr.write(f"  [{e.n}] {one_line(e.sentence, 140)}\n")
    sys.stderr.flush()




def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """``feedback export``: one JSON line per rating (see ``ui.export.feedback_questions``)."""
    lines = [json.dumps(q, ensure_ascii=False) for q in feedback_questions(conversation_store(settings).feedback())]
    text = "".join(line + "\n" for line in lines)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        log.info("%d rated questions written to %s", len(lines), args.out)
    else:
        sys.stdout.write(text)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.folds is not None and args.folds < 2:
        log.error("eval --folds %d: cross-validation needs at least 2 folds", args.folds)
        return 2
    ensure_index(settings)
    items = load_items(args.file)[: args.limit] if args.limit else load_items(args.file)
    pipeline = RagPipeline.from_settings(settings)
    if args.folds is not None:
        print(refusal_cv_table(items, pipeline, args.folds))
        return 0
    if not args.retrieval_only:
        pipeline.warm_up()  # as the chat page does: latencies are those of a running assistant

    def answer(question: str):
        started = time.monotonic()
        first = None
        final = None
        for event in pipeline.stream(question):
            if isinstance(event, TokenEvent) and first is None:
                first = time.monotonic() - started
            if isinstance(event, AnswerEvent):
                final = event.answer
        total = time.monotonic() - started
        return final, first, total

    def progress(result) -> None:
        status = f"rank {result.rank}" if result.item.answerable else "unanswerable"
        if result.answer is not None:
            status += f", {'refused' if result.answer.refused else 'answered'} in {result.total_s:.1f} s"
        log.info("%s %s: %s", result.item.id, result.item.lang, status)

    report = evaluate(items, lambda q: pipeline.search(q, 10), None if args.retrieval_only else answer, progress)
    print(format_report(report))
    failures = format_failures(report)
    if failures:
        print()
        print(failures)
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.plot:
        plot_recall(report, items, pipeline, args.plot)
    floor = args.min_recall_at_5
    if floor is not None and report["retrieval"]["recall@5"] < floor:
        log.error("recall@5 %.3f is below the floor %.3f", report["retrieval"]["recall@5"], floor)
        return 1
    return 0


def refusal_cv_table(items: list[EvalItem], pipeline: RagPipeline, folds: int) -> str:
    """The refusal rules before the model runs, as configured and fitted on ``items`` with their
    cross-validated figures (retrieval and evidence selection only): the best evidence score alone,
    and with the missing-term gate (rag.answerability)."""
    records = []
    for item in items:
        hits, evidence = pipeline.evidence(item.question)
        found = signals(item.question, hits, evidence)
        records.append(Record(item.id, item.answerable, {BEST_EVIDENCE: found.best_score,
                                                         MISSING_TERM: float(bool(found.missing))}))
        log.info("%s %s: best evidence %.4f, missing %s", item.id, item.lang, found.best_score, found.missing or "-")
    s = pipeline.settings
    single = fixed_threshold(s.refusal_threshold)
    gated = gated_refusal(s.refusal_threshold, s.missing_term_threshold)
    tables = []
    for name, fit, configured in (("best evidence score < threshold", refusal_fit, single),
                                  ("the same, or < missing_term_threshold when a question term is in no passage",
                                   gated_refusal_fit, gated)):
        current = {**refusal_measure(records, [configured.predict(r) for r in records]), "params": configured.params}
        title = (f"refusal: {name} ({len(records)} questions; U = unanswerable, A = answerable; "
                 "right = U refused + A not refused; balanced = mean of the U and A shares right)")
        tables.append(format_cv(cross_validate(records, fit, refusal_measure, folds), title, {"configured (settings)": current}))
    return "\n\n".join(tables)


def plot_recall(report: dict, items, pipeline, path: Path) -> None:
    """PNG of recall@k (k = 1..10) per question language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranks_by_lang: dict[str, list[int | None]] = {}
    for item in items:
        if item.answerable:
            rank = first_hit_rank(pipeline.search(item.question, 10), item.gold)
            ranks_by_lang.setdefault(item.lang, []).append(rank)
    fig, ax = plt.subplots(figsize=(6, 4))
    ks = list(range(1, 11))
    for lang, ranks in sorted(ranks_by_lang.items()):
        ax.plot(ks, [sum(1 for r in ranks if r and r <= k) / len(ranks) for k in ks], marker="o", label=f"{lang} (n={len(ranks)})")
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1.02)
    ax.set_title("Retrieval recall@k by question language")
    ax.grid(alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)

