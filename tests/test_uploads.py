"""The upload transaction (ingest/uploads.py): file-name sanitising, the CLI's reasons, rollback.

The rollback cases use a stand-in ingest (fast); the end-to-end cases run the real ingest with
the small real embedder (all-MiniLM-L6-v2) and the real ingest lock.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_settings
from ingest.index import IngestLock, IngestLockedError, open_index
from ingest.pipeline import ingest_paths
from ingest.types import FileFailure, IngestReport
from ingest.uploads import Ingest, add_uploads, remove_upload, sanitize_filename

NOTES = "# Tern migration notes\n\nArctic terns fly from the Arctic to the Antarctic and back every year.\n"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("report.TXT", "report.txt"),
        ("리포트 최종 (v2).pdf", "리포트 최종 (v2).pdf"),
        ("a\x00b;rm -rf $HOME|x.txt", "a_b_rm -rf _HOME_x.txt"),
        ("..", "upload"),
        (".bashrc", "bashrc"),
        ("", "upload"),
    ],
)
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


def test_sanitize_filename_limits_length():
    out = sanitize_filename("x" * 500 + ".txt")
    assert out.endswith(".txt") and len(out) <= 110


@pytest.fixture
def upload_settings(tmp_path):
    return make_settings(tmp_path / "data", max_upload_mb=0.01)


def _fake_ingest(calls, fail_names=(), exc=None) -> Ingest:
    def ingest(paths):
        calls.append([Path(p) for p in paths])
        if exc:
            raise exc
        failed = tuple(FileFailure(str(p), "duplicate of already indexed /x; skipped") for p in paths
                       if p.name in fail_names)
        ok = tuple(str(Path(p).resolve()) for p in paths if p.name not in fail_names)
        return IngestReport(added=ok, failed=failed)
    return ingest


def test_uploads_rejected_with_the_cli_reason(tmp_path, upload_settings):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "tool.exe").write_bytes(b"MZ\x00\x00")
    (tmp_path / "big.txt").write_text("word " * 5000)
    (tmp_path / "good.md").write_text("# Good\n\nA fine little document about models.", encoding="utf-8")
    calls = []
    out = add_uploads([tmp_path / n for n in ("empty.txt", "tool.exe", "big.txt", "good.md")], upload_settings,
                      _fake_ingest(calls))
    reasons = {f.path: f.reason for f in out.rejected}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["tool.exe"].startswith("unsupported file type '.exe'")
    assert reasons["big.txt"].startswith("file too large")
    uploads = upload_settings.data_dir / "uploads"
    assert calls == [[uploads / "good.md"]]
    assert sorted(p.name for p in uploads.iterdir()) == ["good.md"]  # staging cleaned up


def test_failed_replacement_restores_the_previous_file(tmp_path, upload_settings):
    uploads = upload_settings.data_dir / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "notes.txt").write_text("the original notes", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("a new version of the notes", encoding="utf-8")
    out = add_uploads([tmp_path / "notes.txt"], upload_settings, _fake_ingest([], fail_names={"notes.txt"}))
    assert [f.path for f in out.rejected] == ["notes.txt"] and "duplicate" in out.rejected[0].reason
    assert (uploads / "notes.txt").read_text(encoding="utf-8") == "the original notes"

    out = add_uploads([tmp_path / "notes.txt"], upload_settings, _fake_ingest([], exc=IngestLockedError("busy")))
    assert out.locked and (uploads / "notes.txt").read_text(encoding="utf-8") == "the original notes"


def test_an_unexpected_ingest_error_rolls_back_and_propagates(tmp_path, upload_settings):
    (tmp_path / "fresh.md").write_text("# Fresh\n\nA new document about models.", encoding="utf-8")
    with pytest.raises(MemoryError):
        add_uploads([tmp_path / "fresh.md"], upload_settings, _fake_ingest([], exc=MemoryError()))
    assert sorted((upload_settings.data_dir / "uploads").iterdir()) == []


def test_same_names_in_one_batch_are_kept_apart(tmp_path, upload_settings):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.md").write_text(f"# Notes {folder}\n\nText from folder {folder}.",
                                                    encoding="utf-8")
    calls = []
    out = add_uploads([tmp_path / "a" / "notes.md", tmp_path / "b" / "notes.md"], upload_settings,
                      _fake_ingest(calls))
    uploads = upload_settings.data_dir / "uploads"
    assert out.added == (str(uploads / "notes.md"), str(uploads / "notes-2.md")) and not out.rejected
    assert (uploads / "notes-2.md").read_text(encoding="utf-8").startswith("# Notes b")


# ---------------------------------------------------------------- with the real ingest


@pytest.fixture
def small_settings(tmp_path):
    return make_settings(tmp_path / "data", embedding_model="all-minilm-l6-v2", max_upload_mb=1.0)


def test_upload_is_indexed_and_a_duplicate_is_rolled_back(tmp_path, small_settings, small_embedder):
    def ingest(paths):
        return ingest_paths(paths, small_settings, embedder=small_embedder)

    (tmp_path / "tern notes.md").write_text(NOTES, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    out = add_uploads([tmp_path / "tern notes.md", tmp_path / "empty.txt"], small_settings, ingest)
    stored = small_settings.data_dir / "uploads" / "tern notes.md"
    assert out.added == (str(stored),) and [str(f) for f in out.rejected] == ["empty.txt: empty file"]
    assert out.report is not None and out.report.added == (str(stored.resolve()),)
    index = open_index(small_settings.index_dir)
    assert [d.title for d in index.documents.values()] == ["Tern migration notes"]

    (tmp_path / "copy.md").write_text(NOTES, encoding="utf-8")  # the same bytes under another name
    out = add_uploads([tmp_path / "copy.md"], small_settings, ingest)
    assert out.added == () and [f.path for f in out.rejected] == ["copy.md"]
    assert out.rejected[0].reason.startswith("duplicate of already indexed")
    assert sorted(p.name for p in stored.parent.iterdir()) == ["tern notes.md"]


def test_the_default_ingest_and_remove_upload(tmp_path, small_settings):
    """What the CLI would call: no ingest given, so ingest_paths loads the settings' embedder."""
    (tmp_path / "tern.md").write_text(NOTES, encoding="utf-8")
    out = add_uploads([tmp_path / "tern.md"], small_settings)
    stored = small_settings.data_dir / "uploads" / "tern.md"
    assert out.added == (str(stored),) and out.report.ok

    report = remove_upload(str(stored.resolve()), small_settings)
    assert report.removed == (str(stored.resolve()),) and not stored.exists()
    assert open_index(small_settings.index_dir).documents == {}
    assert remove_upload(str(stored.resolve()), small_settings).removed == ()


def test_an_upload_during_another_ingest_changes_nothing(tmp_path, small_settings):
    uploads = small_settings.data_dir / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "tern.md").write_text("the earlier upload", encoding="utf-8")
    (tmp_path / "tern.md").write_text(NOTES, encoding="utf-8")
    with IngestLock(small_settings.index_dir):  # as a running `survey-rag ingest` holds it
        out = add_uploads([tmp_path / "tern.md"], small_settings)
        with pytest.raises(IngestLockedError):
            remove_upload(str((uploads / "tern.md").resolve()), small_settings)
    assert out.locked and out.added == () and out.report is None
    assert sorted(p.name for p in uploads.iterdir()) == ["tern.md"]
    assert (uploads / "tern.md").read_text(encoding="utf-8") == "the earlier upload"
