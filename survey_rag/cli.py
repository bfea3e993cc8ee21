"""The ``survey-rag`` command line.

Example:
    $ survey-rag ingest corpus/
    $ survey-rag ask "Quand faut-il distiller un modèle ?"
    $ survey-rag chat --port 7860
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable

from core.errors import user_message
from core.models import model_status, registry, resolve_model
from core.progress import TqdmProgress
from core.settings import Settings, SettingsError
from ingest.embed import Embedder
from ingest.index import open_index
from ingest.pipeline import ingest_paths, remove_documents
from ingest.types import IngestReport
from ingest.watch import watch_and_ingest
from survey_rag.bench import register_bench_command
from survey_rag.chat import register_chat_command
from survey_rag.commands import register_commands
from survey_rag.serve import register_serve_command

log = logging.getLogger("survey_rag")

# CLI flag -> settings field, shared by every subcommand.
_COMMON_FLAGS = {
    "--data-dir": ("data_dir", "folder for the index and embedding cache"),
    "--cache-dir": ("cache_dir", "folder for downloaded models"),
    "--embedding-model": ("embedding_model", "registered embedding model name or a sentence-transformers folder"),
    "--llm-model": ("llm_model", "registered LLM name or a .gguf file"),
    "--llm-url": ("llm_url", "OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1"),
    "--threads": ("n_threads", "CPU threads for the models"),
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        settings = Settings.load({field: getattr(args, field, None) for field, _ in _COMMON_FLAGS.values()})
        return args.handler(args, settings)
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    except Exception as exc:  # the last line of defence: one clear line, details with -v
        message = user_message(exc)
        if message is None:
            raise
        log.error("%s", message)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="survey-rag", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    common = argparse.ArgumentParser(add_help=False)
    for flag, (field, help_text) in _COMMON_FLAGS.items():
        common.add_argument(flag, dest=field, default=None, help=help_text)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def add(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = add("models", _cmd_models, "list, fetch and verify the offline models")
    p.add_argument("action", choices=["list", "fetch"], nargs="?", default="list")
    p.add_argument("names", nargs="*", help="models to fetch (default: the configured embedding model and LLM)")

    p = add("ingest", _cmd_ingest, "index documents (only what changed is re-embedded)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the bundled corpus)")
    p.add_argument("--rebuild", action="store_true", help="re-chunk and re-index every document")
    p.add_argument("--remove", nargs="+", metavar="DOC", help="remove documents by path or id instead")
    p.add_argument("--watch", action="store_true",
                   help="keep running: re-ingest the paths whenever files change (after a quiet period)")

    p = add("documents", _cmd_documents, "list the indexed documents")

    register_commands(add)
    register_bench_command(add)
    register_chat_command(add)
    register_serve_command(add)
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "urllib3", "sentence_transformers", "faiss", "gradio", "httpcore", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)


def _cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "list":
        for name, kind, path, licence in model_status(settings):
            print(f"{name:38} {kind:9} {path}\n{'':38} licence: {licence}")
        return 0
    names = args.names or [settings.embedding_model, settings.llm_model]
    for name in names:
        if name not in registry():
            log.info("%s is a local path, nothing to fetch", name)
        path = resolve_model(name, settings)
        log.info("%s ready at %s", name, path)
    if settings.embedding_model in names and settings.embedding_backend != "torch":
        embedder = Embedder.load(settings)  # exports and verifies it once now (minutes) rather than at the first start
        log.info("embedding model ready: %s", embedder.model_id)
    return 0


def _cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    if args.watch:
        log.info("watching %s (Ctrl-C stops)", ", ".join(map(str, args.paths or [settings.corpus_dir])))
        watch_and_ingest(args.paths or [settings.corpus_dir], settings, on_report=_log_report)
        return 0
    if args.remove:
        report = remove_documents(args.remove, settings)
    else:
        paths = args.paths or [settings.corpus_dir]
        with TqdmProgress() as progress:
            report = ingest_paths(paths, settings, progress=progress, rebuild=args.rebuild)
    _log_report(report)
    return 0 if report.ok else 1


def _log_report(report: IngestReport) -> None:
    for failure in report.failed:
        log.error("failed: %s", failure)
    for warning in report.warnings:
        log.warning("partly read: %s", warning)
    log.info("%s", report.summary())


def _cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    index = open_index(settings.index_dir)
    print(f"index version {index.version}: {len(index.documents)} documents, {len(index.chunks)} chunks")
    for doc in sorted(index.documents.values(), key=lambda d: d.title):
        print(f"{doc.doc_id}  {','.join(doc.languages):6} {doc.chunk_count:4} chunks  {doc.title[:60]}\n{'':18}{doc.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
