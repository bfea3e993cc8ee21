"""Small hand-made records for fast unit tests of rag/ (no models)."""

from __future__ import annotations

import numpy as np

from ingest.types import Chunk, IndexedDocument
from rag.llm.base import Generator
from rag.prompt import TRANSLATION_INSTRUCTION
from rag.types import Hit


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def make_hit(text: str, doc_id: str = "d1", title: str = "Doc", language: str = "en", row: int = 0,
             sentences: tuple[tuple[int, int], ...] = (), score: float = 0.6, description: str = "") -> Hit:
    chunk = Chunk(chunk_id=f"c{row}", doc_id=doc_id, text=text, start=0, end=len(text), language=language,
                  sentences=sentences or ((0, len(text)),), ordinal=row)
    doc = IndexedDocument(doc_id, f"/corpus/{doc_id}.txt", title, (language,), "", "h", 1, 0.0,
                          description=description)
    return Hit(chunk=chunk, document=doc, score=score, dense=score, row=row)


def is_translation_request(messages) -> bool:
    """The chat messages ask for a translation of evidence (see rag.prompt.build_translation_messages)."""
    return messages[-1]["content"].startswith(tuple(TRANSLATION_INSTRUCTION.values()))


def shown_while_quoting(quoting, start: str = ""):
    """Consume ``quote_evidence``'s events as the chat page shows them (a restart replaces the text):
    every state of the display, and the quotes it returned."""
    display, seen = start, []
    while True:
        try:
            event = next(quoting)
        except StopIteration as done:
            return seen, done.value
        display = event.text if event.restart else display + event.text
        seen.append(display)


class ScriptedGenerator(Generator):
    """Replies with the next scripted text, split into small pieces like a real stream."""

    name = "scripted"

    def __init__(self, *replies: str):
        self.replies = list(replies)
        self.calls: list[list[dict]] = []
        self.banned: list[tuple[str, ...]] = []

    def stream_chat(self, messages, max_tokens, temperature=0.0, stop=(), banned=()):
        self.calls.append(list(messages))
        self.banned.append(tuple(banned))
        reply = self.replies.pop(0) if self.replies else ""  # past the script: an empty reply
        for i in range(0, len(reply), 4):
            yield reply[i : i + 4]

    def count_tokens(self, text: str) -> int:
        return len(text.split())
