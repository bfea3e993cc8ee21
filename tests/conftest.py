"""Shared fixtures: one real embedder, one ingested corpus index and one LLM per test session.

The embedding cache lives in .survey-rag/test/ and survives between runs, so only the first
run on a machine pays for embedding the corpus. Set SURVEY_RAG_FULL=1 for the full iteration
counts of the slow scenarios (CI runs reduced counts).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
TEST_HOME = REPO / ".survey-rag" / "test"
EMBEDDING_CACHE = TEST_HOME / "embedding-cache.sqlite"
FULL = os.environ.get("SURVEY_RAG_FULL") == "1"


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings for a test: its own data folder, the shared embedding cache, no environment leaks."""
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    values = {"data_dir": data_dir, "embedding_cache_file": str(EMBEDDING_CACHE), **overrides}
    return Settings.load(overrides=values, environ={})


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    from ingest.embed import Embedder

    return Embedder.load(make_settings(tmp_path_factory.mktemp("embedder")))


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, embedder) -> Settings:
    """Settings whose index holds the bundled corpus, ingested once with the real default embedder."""
    from ingest.pipeline import ingest_paths

    settings = make_settings(tmp_path_factory.mktemp("corpus-data"))
    report = ingest_paths([CORPUS], settings, embedder=embedder)
    assert report.ok, report.failed
    return settings


@pytest.fixture(scope="session")
def corpus_index(corpus_settings):
    from ingest.index import open_index

    return open_index(corpus_settings.index_dir)


@pytest.fixture(scope="session")
def generator(corpus_settings):
    from rag.llm.factory import load_generator

    return load_generator(corpus_settings)


@pytest.fixture(scope="session")
def small_embedder(tmp_path_factory):
    """all-MiniLM-L6-v2 with the default backend (its int8 export, built in seconds): fast, English only."""
    from ingest.embed import Embedder

    return Embedder.load(make_settings(tmp_path_factory.mktemp("small"), embedding_model="all-minilm-l6-v2"))


@pytest.fixture(scope="session")
def small_generator(tmp_path_factory):
    """SmolLM2-135M: the real llama.cpp path in a fraction of a second per answer."""
    from rag.llm.factory import load_generator

    return load_generator(make_settings(tmp_path_factory.mktemp("small-llm"), llm_model="smollm2-135m-instruct-q4_1"))


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and not shutil.which("chromium"), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                              headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
