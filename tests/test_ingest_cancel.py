"""An ingest meets files in motion and long scans: a file that changes while it is read fails with one
line (the rest is indexed); a scan is read page by page with progress, and cancelling (an event, or
Ctrl-C) leaves the previous index live and the lock free."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import make_settings
from helpers_formats import make_scanned_pdf
from ingest.index import IngestLock, current_version, open_index
from ingest.pipeline import IngestCancelled, ingest_paths

SMALL_MODEL = "all-minilm-l6-v2"


def test_a_file_that_changes_while_it_is_read_fails_with_one_line(tmp_path, small_embedder, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    growing = docs / "growing.txt"
    growing.write_text("The first half of a file that is still being copied.\n", encoding="utf-8")
    (docs / "steady.txt").write_text("A steady file about retrieval and ranking.\n", encoding="utf-8")
    read_bytes = Path.read_bytes

    def read_while_a_writer_appends(self: Path) -> bytes:
        raw = read_bytes(self)
        if self.name == "growing.txt":  # a concurrent copy appends between the read and the second stat
            with open(self, "ab") as fh:
                fh.write(b"The second half arrives while the file is read.\n")
        return raw

    monkeypatch.setattr(Path, "read_bytes", read_while_a_writer_appends)
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    report = ingest_paths([docs], settings, embedder=small_embedder)
    (failure,) = report.failed
    assert Path(failure.path).name == "growing.txt"
    assert failure.reason == ("the file changed while it was being read (still being written?); "
                              "it is read again at the next ingest")
    assert [Path(s).name for s in report.added] == ["steady.txt"]


def _previous_index(tmp_path: Path, small_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("Notes on distillation, indexed before the scan arrived.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL, ocr_page_timeout_s=600)
    assert ingest_paths([docs], settings, embedder=small_embedder).ok
    # three short pages stand in for a 500-page scan: the per-page path is the same
    make_scanned_pdf(docs / "long-scan.pdf", [[f"Scanned page number {n}."] for n in (1, 2, 3)])
    return docs, settings, current_version(settings.index_dir)


def test_a_cancelled_scan_leaves_the_previous_index_live(tmp_path, small_embedder):
    docs, settings, before = _previous_index(tmp_path, small_embedder)
    cancel = threading.Event()
    pages: list[tuple[int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "ocr":
            pages.append((done, total))
            if done == 1:
                cancel.set()  # the user presses Cancel once the first page is read

    with pytest.raises(IngestCancelled, match=r"^ingest cancelled; nothing was written, the previous index is still live$"):
        ingest_paths([docs], settings, embedder=small_embedder, progress=progress, cancel=cancel)
    assert pages == [(0, 3), (1, 3)]  # per-page progress; page 2 never started
    assert current_version(settings.index_dir) == before
    assert [Path(d.source).name for d in open_index(settings.index_dir).documents.values()] == ["notes.txt"]

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "ocr" and done == 1:
            raise KeyboardInterrupt  # Ctrl-C arrives during the scan

    with pytest.raises(KeyboardInterrupt):
        ingest_paths([docs], settings, embedder=small_embedder, progress=interrupt)
    assert current_version(settings.index_dir) == before
    with IngestLock(settings.index_dir):  # released: the next ingest can run
        pass
