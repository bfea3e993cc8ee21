"""Keyword indexes kept across restarts, so a start does not tokenise every passage again.

Building the keyword index of 100,000 passages took 154 s, nearly all of it tokenising (Kiwi
for Korean). Two things are kept under ``Settings.keyword_cache_dir``::

    <version>-<fingerprint>/   the saved KeywordIndex of one index version (bm25s's files),
                               manifest.json last; renamed into place whole
    tokens.sqlite              keyword tokens by (fingerprint, passage text hash): a new version
                               tokenises only the passages no version had before
    tmp-<pid>-<hex>/           an entry being written or deleted

The fingerprint changes with the tokenizer (``rag.keywords.tokenizer_fingerprint``) and with
bm25s, so neither is ever read by another one; index versions never change once live, so an
entry is valid for as long as its version exists. Entries of versions gone from the index
folder and of other fingerprints are deleted after each new entry is written. Ingest never
imports rag, so the entries are written here, on the first build of each version.

Example:
    >>> store = KeywordStore(settings.keyword_cache_dir, settings.index_dir)  # doctest: +SKIP
    >>> store.keyword_index(open_index(settings.index_dir)).rare_terms("LIMA ?")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Iterator

from core.durable import fsync_dir, fsync_file
from ingest.index import Index
from ingest.types import text_hash
from rag.keyword_index import KeywordIndex
from rag.keywords import tokenize, tokenizer_fingerprint

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
TOKENS = "tokens.sqlite"
_TMP = "tmp-"
_BATCH = 500  # hashes per SQLite query (under its 999 parameters)


def keyword_fingerprint() -> str:
    """The tokenizer's fingerprint and the bm25s version that wrote the files."""
    joined = f"{tokenizer_fingerprint()}\0{metadata.version('bm25s')}"
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class KeywordStore:
    root: Path
    index_dir: Path

    def keyword_index(self, index: Index) -> KeywordIndex:
        """``index``'s keyword index: loaded when a readable entry holds it, else built and saved."""
        started, fingerprint = time.perf_counter(), keyword_fingerprint()
        entry = self.root / f"{index.version}-{fingerprint}"
        if entry.is_dir():
            try:
                keyword = _load(entry, index, fingerprint)
                log.info("keyword index of %s loaded in %.1f s", index.version, time.perf_counter() - started)
                return keyword
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.warning("keyword cache %s is unreadable (%s); building it again", entry, exc)
        keyword = KeywordIndex.from_tokens(self._tokens([c.text for c in index.chunks], fingerprint))
        try:
            self._save(entry, keyword, index, fingerprint)
            self._collect_garbage(fingerprint)
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot write keyword cache %s (%s); the next start builds it again", entry, exc)
        log.info("keyword index of %s built in %.1f s", index.version, time.perf_counter() - started)
        return keyword

    def _tokens(self, texts: list[str], fingerprint: str) -> list[list[str]]:
        """Every text's tokens, tokenising only those whose tokens are not stored yet."""
        hashes = [text_hash(t) for t in texts]
        try:
            with _connect(self.root / TOKENS) as db:
                known = _stored_tokens(db, fingerprint, sorted(set(hashes)))
        except (OSError, sqlite3.Error, ValueError) as exc:
            log.warning("stored keyword tokens in %s are unreadable (%s); tokenising every passage",
                        self.root / TOKENS, exc)
            known = {}
        new = {h: tokenize(t) for h, t in zip(hashes, texts) if h not in known}
        if new:
            try:
                with _connect(self.root / TOKENS) as db, db:
                    db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)",
                                   [(fingerprint, h, json.dumps(t, ensure_ascii=False)) for h, t in new.items()])
            except (OSError, sqlite3.Error) as exc:
                log.warning("cannot store keyword tokens in %s (%s)", self.root / TOKENS, exc)
        log.info("keyword tokens: %d passages tokenised, %d stored", len(new), len(texts) - len(new))
        return [known[h] if h in known else new[h] for h in hashes]

    def _save(self, entry: Path, keyword: KeywordIndex, index: Index, fingerprint: str) -> None:
        """Write the entry under a temporary name and rename it into place: a crash leaves no entry half written."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f"{_TMP}{os.getpid()}-{secrets.token_hex(3)}"
        try:
            keyword.save(staging)
            manifest = {"version": index.version, "fingerprint": fingerprint, "passages": len(index.chunks)}
            (staging / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            for f in staging.iterdir():
                fsync_file(f)
            fsync_dir(staging)
            if entry.is_dir():  # an unreadable entry, replaced
                self._remove(entry)
            try:
                os.replace(staging, entry)
            except OSError:
                if not entry.is_dir():
                    raise
                log.info("keyword cache %s was written by another process meanwhile", entry)
            fsync_dir(self.root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _collect_garbage(self, fingerprint: str) -> None:
        """Delete the entries of versions no longer in the index folder or of another fingerprint, the
        leftovers of dead processes, and the stored tokens of other fingerprints."""
        versions = {p.name for p in self.index_dir.iterdir() if p.is_dir()} if self.index_dir.is_dir() else set()
        for p in self.root.iterdir():
            if not p.is_dir():
                continue
            if p.name.startswith(_TMP):
                if not _alive(p.name):
                    shutil.rmtree(p, ignore_errors=True)
                continue
            version, _, entry_fingerprint = p.name.rpartition("-")
            if entry_fingerprint != fingerprint or version not in versions:
                self._remove(p)
        with _connect(self.root / TOKENS) as db, db:
            db.execute("DELETE FROM tokens WHERE fingerprint != ?", (fingerprint,))

    def _remove(self, entry: Path) -> None:
        """Renamed first: a deletion cut short leaves a tmp- folder, never a half entry under its real name."""
        doomed = self.root / f"{_TMP}{os.getpid()}-{secrets.token_hex(3)}"
        try:
            os.rename(entry, doomed)
        except FileNotFoundError:  # another process removed it
            return
        shutil.rmtree(doomed, ignore_errors=True)


def _load(entry: Path, index: Index, fingerprint: str) -> KeywordIndex:
    manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    expected = {"version": index.version, "fingerprint": fingerprint, "passages": len(index.chunks)}
    if manifest != expected:
        raise ValueError(f"its manifest {manifest} is not {expected}")
    keyword = KeywordIndex.load(entry)
    if keyword.passages != len(index.chunks):
        raise ValueError(f"it holds {keyword.passages} passages, the index {len(index.chunks)}")
    return keyword


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS tokens (fingerprint TEXT, hash TEXT, tokens TEXT, "
                   "PRIMARY KEY (fingerprint, hash))")
        yield db
    finally:
        db.close()


def _stored_tokens(db: sqlite3.Connection, fingerprint: str, hashes: list[str]) -> dict[str, list[str]]:
    found = {}
    for start in range(0, len(hashes), _BATCH):
        batch = hashes[start : start + _BATCH]
        marks = ",".join("?" * len(batch))
        for h, tokens in db.execute(f"SELECT hash, tokens FROM tokens WHERE fingerprint = ? AND hash IN ({marks})",
                                    [fingerprint, *batch]):
            found[h] = json.loads(tokens)
    return found


def _alive(tmp_name: str) -> bool:
    """Whether the process that named a tmp- folder still runs (it may be writing the folder)."""
    try:
        os.kill(int(tmp_name[len(_TMP):].split("-")[0]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
