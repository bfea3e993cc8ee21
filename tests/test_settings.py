"""Settings precedence: dataclass defaults < SURVEY_RAG_* environment < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings, SettingsError


def test_defaults_without_environment():
    s = Settings.load(environ={})
    assert s.top_k == Settings().top_k == 5
    assert s.embedding_model == "embeddinggemma-300m"
    assert s.chunk_max_tokens == 200
    assert s.index_dir == s.data_dir / "index"
    assert s.models_dir == s.cache_dir / "models"
    assert s.embedding_cache_path == s.data_dir / "embedding-cache.sqlite"


def test_environment_overrides_defaults_and_is_typed(tmp_path):
    env = {
        "SURVEY_RAG_TOP_K": "7",
        "SURVEY_RAG_MAX_FILE_MB": "1.5",
        "SURVEY_RAG_DATA_DIR": str(tmp_path / "data"),
        "SURVEY_RAG_EMBEDDING_MODEL": "all-minilm-l6-v2",
        "SURVEY_RAG_PORT": "",  # empty means "not set"
        "OTHER_TOP_K": "99",  # no prefix: ignored
    }
    s = Settings.load(environ=env)
    assert s.top_k == 7 and isinstance(s.top_k, int)
    assert s.max_file_mb == 1.5
    assert s.data_dir == tmp_path / "data" and isinstance(s.data_dir, Path)
    assert s.index_dir == tmp_path / "data" / "index"
    assert s.embedding_model == "all-minilm-l6-v2"
    assert s.port == 7860


def test_overrides_beat_environment_and_none_is_skipped(tmp_path):
    env = {"SURVEY_RAG_TOP_K": "7", "SURVEY_RAG_N_THREADS": "3"}
    s = Settings.load(overrides={"top_k": "9", "n_threads": None, "data_dir": str(tmp_path)}, environ=env)
    assert s.top_k == 9
    assert s.n_threads == 3  # None override leaves the environment value
    assert s.data_dir == tmp_path


def test_reads_process_environment_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_RAG_CANDIDATE_K", "12")
    monkeypatch.setenv("SURVEY_RAG_EMBEDDING_CACHE_FILE", str(tmp_path / "cache.sqlite"))
    s = Settings.load()
    assert s.candidate_k == 12
    assert s.embedding_cache_path == tmp_path / "cache.sqlite"


def test_path_values_expand_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    s = Settings.load(environ={"SURVEY_RAG_CACHE_DIR": "~/models-here"})
    assert s.cache_dir == tmp_path / "models-here"


@pytest.mark.parametrize(
    "env",
    [{"SURVEY_RAG_TOP_K": "five"}, {"SURVEY_RAG_MAX_FILE_MB": "20MB"}, {"SURVEY_RAG_PORT": "7.5"}],
)
def test_bad_environment_value_is_a_clear_settings_error(env):
    with pytest.raises(SettingsError) as info:
        Settings.load(environ=env)
    message = str(info.value)
    (var,) = env
    field = var.removeprefix("SURVEY_RAG_").lower()
    assert field in message and var in message and env[var] in message
    assert "\n" not in message


def test_bad_override_and_unknown_setting():
    with pytest.raises(SettingsError, match="top_k"):
        Settings.load(overrides={"top_k": "many"}, environ={})
    with pytest.raises(SettingsError, match="unknown setting 'topk'"):
        Settings.load(overrides={"topk": 3}, environ={})


def test_cli_flag_beats_environment(monkeypatch, tmp_path, caplog):
    """The CLI passes its flags as overrides: --data-dir wins over SURVEY_RAG_DATA_DIR."""
    from survey_rag.cli import main

    monkeypatch.setenv("SURVEY_RAG_DATA_DIR", str(tmp_path / "from-env"))
    rc = main(["documents", "--data-dir", str(tmp_path / "from-flag")])
    assert rc == 1  # nothing ingested there yet
    err = caplog.text
    assert str(tmp_path / "from-flag" / "index") in err
    assert "from-env" not in err


def test_cli_bad_setting_exits_2(monkeypatch, caplog):
    from survey_rag.cli import main

    monkeypatch.setenv("SURVEY_RAG_N_THREADS", "lots")
    assert main(["documents"]) == 2
    assert "SURVEY_RAG_N_THREADS" in caplog.text
