"""The ``survey-rag bench`` command: run the bench, print the table, optionally write the JSON."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from core.errors import UserFacingError
from core.settings import Settings
from survey_rag.bench.index_scale import run_index_scale
from survey_rag.bench.plan import FULL_PLAN
from survey_rag.bench.run import run_bench
from survey_rag.bench.table import format_table, index_scale_rows, table_rows

log = logging.getLogger(__name__)


def register_bench_command(add: Callable) -> None:
    """Add ``bench`` to the parser (``add(name, handler, help)``)."""
    p = add("bench", cmd_bench, "measure load, ingest, retrieval and answer speed and memory of the models")
    p.add_argument("--quick", action="store_true", help="a subset that runs in about two minutes")
    p.add_argument("--json", dest="json_path", type=Path, help="write every measurement as JSON here")
    p.add_argument("--index-scale", type=int, nargs="?", const=FULL_PLAN.synthetic_passages, metavar="PASSAGES",
                   help="only the synthetic index stage, at this many passages (default "
                        f"{FULL_PLAN.synthetic_passages:,}): open, retrieval and re-ingest times, wall and CPU, RSS")
    p.add_argument("--flat", action="store_true", help="with --index-scale: exact vectors at any size, no HNSW")


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if settings.llm_url:
        log.warning("bench measures the in-process model: ignoring SURVEY_RAG_LLM_URL")
        settings = settings.replace(llm_url="")
    if args.flat and not args.index_scale:
        raise UserFacingError("bench: --flat goes with --index-scale")
    if args.index_scale:
        scale = run_index_scale(settings, args.index_scale, args.flat)
        _write_json(args.json_path, scale.to_dict())
        print(format_table(index_scale_rows(scale)))
    else:
        result = run_bench(settings, quick=args.quick)
        _write_json(args.json_path, result.to_dict())
        if args.quick:
            print("Quick run: a subset (targets are for the full run).")
        print(format_table(table_rows(result)))
    sys.stdout.flush()
    return 0


def _write_json(path: Path | None, data: dict) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        log.info("wrote %s", path)
