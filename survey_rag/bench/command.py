"""The ``survey-rag bench`` command: run the bench, print the table, optionally write the JSON."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from core.settings import Settings
from survey_rag.bench.run import run_bench
from survey_rag.bench.table import format_table, table_rows

log = logging.getLogger(__name__)


def register_bench_command(add: Callable) -> None:
    """Add ``bench`` to the parser (``add(name, handler, help)``)."""
    p = add("bench", cmd_bench, "measure load, ingest, retrieval and answer speed and memory of the models")
    p.add_argument("--quick", action="store_true", help="a subset that runs in about two minutes")
    p.add_argument("--json", dest="json_path", type=Path, help="write every measurement as JSON here")


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if settings.llm_url:
        log.warning("bench measures the in-process model: ignoring SURVEY_RAG_LLM_URL")
        settings = settings.replace(llm_url="")
    result = run_bench(settings, quick=args.quick)
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        log.info("wrote %s", args.json_path)
    if args.quick:
        print("Quick run: a subset (targets are for the full run).")
    print(format_table(table_rows(result)))
    sys.stdout.flush()
    return 0
