"""Bad input (issue 2, point 6): every bad file gets one line naming it and its cause, every good
file is still ingested, nothing already indexed is lost, and the exit status tells."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import make_settings
from helpers_ingest import encrypt_pdf, make_pdf
from ingest.index import integrity_problems, open_index
from ingest.pipeline import ingest_paths

SMALL_MODEL = "all-minilm-l6-v2"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

GOOD = {
    "good.txt": "Distillation trains a small student model to imitate a large teacher model.\n",
    "good.md": "# Prompting\n\nFew-shot prompting shows the model a handful of worked examples.\n",
    "kept.txt": "Instruction tuning teaches a base model to follow requests written by people.\n",
}


def _make_bad_files(folder) -> dict[str, str]:
    """Create one file per bad case; returns file name -> expected reason pattern."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (folder / "corrupt.pdf").write_bytes(make_pdf([["This PDF is cut short."]])[:300])
    (folder / "encrypted.pdf").write_bytes(encrypt_pdf(make_pdf([["A secret sentence."]])))
    (folder / "scanned.pdf").write_bytes(make_pdf([[], []]))
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not really a docx")
    with open(folder / "huge.txt", "wb") as fh:  # 50 MB of text, over the 20 MB default limit
        line = b"A line of perfectly ordinary text that repeats.\n"
        fh.write(line * (50_000_000 // len(line) + 1))
    os.symlink(folder / "does-not-exist.txt", folder / "dangling.txt")
    # hidden files and folders are skipped silently, whatever they hold
    (folder / ".hidden.txt").write_bytes(b"\x00\x01 editor droppings")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    os.symlink(folder / "nowhere", folder / ".git" / "broken-link.txt")
    expected = {
        "empty.txt": r"^empty file$",
        "image.txt": r"^binary file \(contains NUL bytes\), not text$",
        "corrupt.pdf": r"^corrupt or unreadable PDF \(.+\)$",
        "encrypted.pdf": r"^encrypted PDF \(a password is required\); save an unencrypted copy$",
        "scanned.pdf": r"^PDF has no text \(2 pages; no text layer and OCR read none\)$",
        "notes.docx": r"^not a \.docx file \(not a zip package: .+\)$",
        "huge.txt": r"^file too large \(50\.0 MB > 20 MB limit; split it or raise SURVEY_RAG_MAX_FILE_MB\)$",
        "dangling.txt": r"^broken or looping symbolic link$",
    }
    if IS_ROOT:  # root reads any file whatever its mode: use something no one can read as text
        os.mkfifo(folder / "pipe.txt")
        expected["pipe.txt"] = r"^not a regular file$"
    else:
        (folder / "locked.txt").write_text("secret", encoding="utf-8")
        (folder / "locked.txt").chmod(0)
        expected["locked.txt"] = r"^cannot read file \(Permission denied\)$"
    return expected


@pytest.fixture
def bad_folder(tmp_path, small_embedder):
    """A folder ingested once while all good, then filled with every kind of bad input."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "good.pdf").write_bytes(make_pdf([["Page one explains retrieval."], ["Page two explains ranking."]]))
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    first = ingest_paths([folder], settings, embedder=small_embedder)
    assert first.ok and len(first.added) == 4
    expected = _make_bad_files(folder)
    # a document that was indexed fine is now broken: its indexed version must survive
    (folder / "kept.txt").write_bytes(b"\x00\x00\x00 overwritten by a binary blob")
    expected["kept.txt"] = r"^binary file \(contains NUL bytes\), not text$"
    (folder / "new-good.txt").write_text("Retrieval-augmented generation cites its sources.\n", encoding="utf-8")
    return folder, settings, first, expected


def test_each_bad_file_fails_alone(bad_folder, small_embedder):
    folder, settings, first, expected = bad_folder
    before = open_index(settings.index_dir)
    report = ingest_paths([folder], settings, embedder=small_embedder)

    assert not report.ok
    by_file = {}
    for failure in report.failed:
        assert str(failure) == f"{failure.path}: {failure.reason}" and "\n" not in str(failure)
        assert failure.path not in by_file, f"{failure.path} reported twice"
        by_file[failure.path] = failure.reason
    assert set(by_file) == {str(folder / name) for name in expected}  # exactly one line per bad file
    for name, pattern in expected.items():
        reason = by_file[str(folder / name)]
        assert re.match(pattern, reason), (name, reason)

    # the good new file is in, nothing already indexed is lost
    assert report.added == (str((folder / "new-good.txt").resolve()),)
    assert not report.removed
    after = open_index(settings.index_dir)
    names = {os.path.basename(d.source) for d in after.documents.values()}
    assert names == {"good.txt", "good.md", "good.pdf", "kept.txt", "new-good.txt"}
    assert integrity_problems(after) == []
    kept = next(d for d in after.documents.values() if d.source.endswith("kept.txt"))
    assert kept == next(d for d in before.documents.values() if d.source.endswith("kept.txt"))
    assert any("Instruction tuning teaches a base model" in c.text for c in after.chunks if c.doc_id == kept.doc_id)
    pdf = next(d for d in after.documents.values() if d.source.endswith("good.pdf"))
    assert {c.page for c in after.chunks if c.doc_id == pdf.doc_id} <= {1, 2}

    # nothing changed since: the same failures, no new version
    again = ingest_paths([folder], settings, embedder=small_embedder)
    assert {f.path for f in again.failed} == set(by_file)
    assert again.version == report.version and again.embedded == 0


def test_paths_given_directly(tmp_path, small_embedder):
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_MODEL)
    good = tmp_path / "ok.txt"
    good.write_text("Scaling laws predict the loss of large models.\n", encoding="utf-8")
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    missing = tmp_path / "missing.txt"
    report = ingest_paths([good, fifo, missing], settings, embedder=small_embedder)
    assert {f.path: f.reason for f in report.failed} == {
        str(fifo): "not a regular file",  # named, and never opened (opening a FIFO would block)
        str(missing): "no such file or folder",
    }
    assert report.added == (str(good.resolve()),)


def _cli(args, settings, cache_file):
    env = {
        **os.environ,
        "SURVEY_RAG_DATA_DIR": str(settings.data_dir),
        "SURVEY_RAG_CACHE_DIR": str(settings.cache_dir),
        "SURVEY_RAG_EMBEDDING_MODEL": SMALL_MODEL,
        "SURVEY_RAG_EMBEDDING_CACHE_FILE": str(cache_file),
    }
    cmd = [sys.executable, "-c", "import sys; from survey_rag.cli import main; sys.exit(main(sys.argv[1:]))", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_cli_exit_status_says_whether_a_file_failed(bad_folder, tmp_path):
    folder, settings, _, expected = bad_folder
    cache = tmp_path / "cli-cache" / "embeddings.sqlite"
    result = _cli(["ingest", str(folder)], settings, cache)
    assert result.returncode == 1, result.stderr
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == len(expected)
    for name in expected:
        assert sum(line.startswith(f"failed: {folder / name}: ") for line in failed_lines) == 1, name
    assert re.search(rf"documents: 1 added, 0 changed, 0 removed, 3 unchanged, {len(expected)} failed; chunks: \d+",
                     result.stderr)

    # remove the bad files and restore the broken one: a clean run exits 0
    for name in expected:
        os.unlink(folder / name)
    (folder / "kept.txt").write_text(GOOD["kept.txt"], encoding="utf-8")
    result = _cli(["ingest", str(folder)], settings, cache)
    assert result.returncode == 0, result.stderr
    assert "failed:" not in result.stderr
    assert re.search(r"documents: 0 added, 0 changed, 0 removed, 5 unchanged, 0 failed", result.stderr)
