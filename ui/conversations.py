"""Saved conversations: one SQLite file in the data folder, one row per answered question.

A turn (the question, its answer with citations and retrieved passages, the documents it
was scoped to) is written in one transaction once the answer is final, so a crash or a kill
mid-answer loses at most that answer and never touches earlier conversations (SQLite's
journal rolls an interrupted write back on the next open). Every call takes the user name
(empty without a login) and sees only that user's conversations.

Example:
    >>> store = ConversationStore(settings.data_dir / "conversations.sqlite")  # doctest: +SKIP
    >>> cid = store.create("")  # doctest: +SKIP
    >>> store.add_turn(cid, "", answer)  # doctest: +SKIP
    >>> [c.title for c in store.list("")]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Sequence

from core.text import one_line
from ingest.types import Chunk, IndexedDocument
from rag.types import Answer, Citation, Hit

TITLE_CHARS = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
    scope TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (conversation_id, position));
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, position INTEGER NOT NULL,
    user TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL, scope TEXT NOT NULL, index_version TEXT NOT NULL, created REAL NOT NULL);
"""


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    updated: float
    turns: int


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer
    scope: tuple[str, ...]  # the titles of the documents the question was restricted to; () = all


@dataclass(frozen=True)
class Feedback:
    """A rated answer, kept as it was rated (a regenerated answer does not change it)."""

    rating: int  # +1 thumbs up, -1 thumbs down
    comment: str
    question: str
    answer: Answer
    scope: tuple[str, ...]
    index_version: str
    user: str
    created: float


# ---------------------------------------------------------------- answers as JSON records


def _hit_record(hit: Hit) -> dict:
    return {"chunk": asdict(hit.chunk), "document": asdict(hit.document), "score": hit.score,
            "dense": hit.dense, "keyword": hit.keyword, "row": hit.row}


def _hit_from(record: dict) -> Hit:
    chunk = dict(record["chunk"])
    chunk["sentences"] = tuple(tuple(s) for s in chunk.get("sentences", ()))
    document = dict(record["document"])
    document["languages"] = tuple(document.get("languages", ()))
    return Hit(chunk=Chunk(**chunk), document=IndexedDocument(**document), score=record["score"],
               dense=record.get("dense", 0.0), keyword=record.get("keyword", 0.0), row=record.get("row", -1))


def answer_record(answer: Answer) -> dict:
    """Everything needed to show ``answer`` again (its citation cards, its nearest passages)."""
    return {
        "question": answer.question, "language": answer.language, "text": answer.text,
        "refused": answer.refused, "standalone_question": answer.standalone_question, "notice": answer.notice,
        "citations": [{"n": c.n, "sentence": c.sentence, "support": c.support, "hit": _hit_record(c.hit)}
                      for c in answer.citations],
        "hits": [_hit_record(h) for h in answer.hits],
        "timings": dict(answer.timings),
    }


def answer_from_record(record: dict) -> Answer:
    return Answer(
        question=record["question"], language=record["language"], text=record["text"],
        refused=record["refused"], standalone_question=record.get("standalone_question", ""),
        notice=record.get("notice", ""),
        citations=tuple(Citation(c["n"], _hit_from(c["hit"]), c["sentence"], c["support"])
                        for c in record.get("citations", ())),
        hits=tuple(_hit_from(h) for h in record.get("hits", ())),
        timings=dict(record.get("timings", {})),
    )


# ---------------------------------------------------------------- the store


class ConversationStore:
    """The conversations of every user in one SQLite file (created on first use)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection whose block is one transaction: committed at the end, rolled back on an error."""
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            try:
                db.execute("PRAGMA foreign_keys = ON")
                if not self._ready:
                    db.execute("PRAGMA journal_mode = WAL")
                    db.executescript(_SCHEMA)
                    self._ready = True
                with db:
                    yield db
            finally:
                db.close()

    def create(self, user: str, title: str = "") -> str:
        cid = uuid.uuid4().hex
        now = time.time()
        with self._db() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)", (cid, user, title, now, now))
        return cid

    def list(self, user: str) -> list[ConversationSummary]:
        """The user's conversations, the most recently changed first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.updated, COUNT(t.position) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation_id = c.id WHERE c.user = ? "
                "GROUP BY c.id ORDER BY c.updated DESC, c.rowid DESC", (user,)).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def exists(self, cid: str | None, user: str) -> bool:
        if not cid:
            return False
        with self._db() as db:
            return db.execute("SELECT 1 FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone() is not None

    def title(self, cid: str, user: str) -> str:
        with self._db() as db:
            row = db.execute("SELECT title FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone()
        return row[0] if row else ""

    def turns(self, cid: str | None, user: str) -> list[Turn]:
        """The conversation's answered questions, oldest first ([] for another user's or an unknown one)."""
        if not cid:
            return []
        with self._db() as db:
            rows = db.execute(
                "SELECT t.question, t.answer, t.scope FROM turns t JOIN conversations c ON c.id = t.conversation_id "
                "WHERE c.id = ? AND c.user = ? ORDER BY t.position", (cid, user)).fetchall()
        return [Turn(q, answer_from_record(json.loads(a)), tuple(json.loads(s))) for q, a, s in rows]

    def add_turn(self, cid: str, user: str, answer: Answer, scope: Sequence[str] = ()) -> int:
        """Append an answered question (one transaction); the first one names the conversation.
        Returns the turn's 1-based position. Raises KeyError for another user's or an unknown conversation."""
        now = time.time()
        with self._db() as db:
            row = db.execute("SELECT title FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone()
            if row is None:
                raise KeyError(cid)
            position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM turns WHERE conversation_id = ?",
                                  (cid,)).fetchone()[0]
            db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                       (cid, position, answer.question, json.dumps(answer_record(answer), ensure_ascii=False),
                        json.dumps(list(scope), ensure_ascii=False), now))
            title = row[0] or one_line(answer.question, TITLE_CHARS)
            db.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?", (title, now, cid))
        return position

    def drop_turns(self, cid: str | None, user: str, first: int) -> int:
        """Forget the turns from position ``first`` on (to answer again or after an edited question);
        returns how many were dropped. Their ratings stay."""
        if not cid:
            return 0
        with self._db() as db:
            if db.execute("SELECT 1 FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone() is None:
                return 0
            return db.execute("DELETE FROM turns WHERE conversation_id = ? AND position >= ?", (cid, first)).rowcount

    def rate(self, cid: str | None, user: str, position: int, rating: int, comment: str = "",
             index_version: str = "") -> bool:
        """Rate turn ``position`` (+1 or -1, an optional comment), storing the question, the answer with its
        citations, its scope and ``index_version`` with it; rating the same answer again replaces the rating."""
        turns = self.turns(cid, user)
        if not 1 <= position <= len(turns) or rating not in (1, -1):
            return False
        turn = turns[position - 1]
        record = json.dumps(answer_record(turn.answer), ensure_ascii=False)
        with self._db() as db:
            db.execute("DELETE FROM feedback WHERE conversation_id = ? AND position = ? AND answer = ?",
                       (cid, position, record))
            db.execute("INSERT INTO feedback (conversation_id, position, user, rating, comment, question, answer, "
                       "scope, index_version, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (cid, position, user, rating, (comment or "").strip(), turn.question, record,
                        json.dumps(list(turn.scope), ensure_ascii=False), index_version, time.time()))
        return True

    def comment(self, cid: str | None, user: str, position: int, comment: str) -> bool:
        """Add ``comment`` to the latest rating of turn ``position``."""
        with self._db() as db:
            return db.execute(
                "UPDATE feedback SET comment = ? WHERE id = (SELECT MAX(id) FROM feedback WHERE conversation_id = ? "
                "AND position = ? AND user = ?)", ((comment or "").strip(), cid, position, user)).rowcount == 1

    def feedback(self) -> list[Feedback]:
        """Every rating of every user, oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT rating, comment, question, answer, scope, index_version, user, created "
                              "FROM feedback ORDER BY id").fetchall()
        return [Feedback(r, c, q, answer_from_record(json.loads(a)), tuple(json.loads(s)), v, u, t)
                for r, c, q, a, s, v, u, t in rows]

    def rename(self, cid: str, user: str, title: str) -> bool:
        title = one_line(title or "", TITLE_CHARS)
        if not title:
            return False
        with self._db() as db:
            return db.execute("UPDATE conversations SET title = ? WHERE id = ? AND user = ?",
                              (title, cid, user)).rowcount == 1

    def delete(self, cid: str, user: str) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM conversations WHERE id = ? AND user = ?", (cid, user)).rowcount == 1
