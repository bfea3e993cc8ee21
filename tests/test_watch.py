"""`survey-rag ingest --watch`: a new, a changed and a deleted file each lead to a new index version."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from conftest import make_settings
from ingest.index import open_index
from ingest.watch import watch_and_ingest

SMALL_MODEL = "all-minilm-l6-v2"


def test_watcher_picks_up_new_changed_and_deleted_files(tmp_path, small_embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "first.txt").write_text("The first note is about tokenizers and their vocabularies.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL, watch_quiet_ms=300)
    reports: queue.Queue = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=watch_and_ingest, args=([folder], settings, reports.put),
                              kwargs={"embedder": small_embedder, "stop_event": stop}, daemon=True)
    thread.start()

    def next_change():  # an editor's save can arrive as two batches: skip a report of nothing new
        while True:
            report = reports.get(timeout=60)
            if report.added or report.changed or report.removed:
                return report

    try:
        first = next_change()
        assert [Path(s).name for s in first.added] == ["first.txt"]

        (folder / "second.txt").write_text("A second note on the attention mechanism.\n", encoding="utf-8")
        assert [Path(s).name for s in next_change().added] == ["second.txt"]

        (folder / "first.txt").write_text("The first note now covers byte-pair encoding.\n", encoding="utf-8")
        assert [Path(s).name for s in next_change().changed] == ["first.txt"]

        (folder / "second.txt").unlink()
        last = next_change()
        assert [Path(s).name for s in last.removed] == ["second.txt"]
        index = open_index(settings.index_dir)
        assert [Path(d.source).name for d in index.documents.values()] == ["first.txt"]
        assert any("byte-pair encoding" in c.text for c in index.chunks)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
