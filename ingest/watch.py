"""Watch folders and re-ingest what changed once the files have been quiet for a while.

watchfiles (Rust ``notify`` underneath: inotify on Linux, FSEvents on macOS, polling as a
fallback) is maintained and batches events itself: ``debounce`` collects every change until
none has come for ``Settings.watch_quiet_ms``, so a file still being copied is read once, when
it is complete. Each batch runs the ordinary ``ingest_paths``: the same lock, the same atomic
versions, the same one-line failures; a batch that fails as a whole (the index locked by
another ingest) is reported and the next change tries again. Setting ``stop_event`` also
cancels an ingest under way (a long scan) at its next page, leaving the previous version live.

Example:
    >>> watch_and_ingest([Path("corpus")], settings, on_report=print)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from core.errors import UserFacingError
from core.settings import Settings
from ingest.embed import Embedder
from ingest.embed_cache import TextEmbedder
from ingest.pipeline import IngestProgress, ingest_paths
from ingest.types import IngestReport

log = logging.getLogger(__name__)


class WatchError(UserFacingError, ValueError):
    """A path to watch does not exist."""


def watch_and_ingest(
    paths: list[Path],
    settings: Settings,
    on_report: Callable[[IngestReport], None],
    *,
    embedder: TextEmbedder | None = None,
    stop_event: threading.Event | None = None,
    progress: IngestProgress | None = None,
) -> None:
    """Ingest ``paths`` now, then after each quiet period that follows a change, until ``stop_event`` is set.

    The watch starts before the first ingest, so a file dropped in meanwhile is not missed.
    """
    from watchfiles import DefaultFilter, watch

    roots = [Path(p).expanduser().resolve() for p in paths]
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise WatchError(f"{missing[0]}: no such file or folder to watch")
    index_dir = settings.index_dir.resolve()
    hidden = DefaultFilter()

    def wanted(change, path: str) -> bool:
        # The index may live inside a watched folder: its own writes must not trigger ingests.
        return hidden(change, path) and not Path(path).is_relative_to(index_dir)

    embedder = embedder or Embedder.load(settings)
    first = True
    for changes in watch(*roots, watch_filter=wanted, debounce=settings.watch_quiet_ms, stop_event=stop_event,
                         rust_timeout=settings.watch_quiet_ms, yield_on_timeout=True, raise_interrupt=True):
        if not changes and not first:
            continue
        if changes:
            log.info("%d change(s) seen; re-ingesting", len(changes))
        first = False
        try:
            report = ingest_paths(roots, settings, embedder=embedder, progress=progress, cancel=stop_event)
        except UserFacingError as exc:
            log.error("ingest failed: %s", exc)
            continue
        on_report(report)
