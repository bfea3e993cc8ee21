"""The dev questions the bench times and answers."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rag.evaluate import EvalItem, load_items

DEV_SET = Path(__file__).resolve().parent.parent / "data" / "dev.jsonl"


def load_questions(path: Path = DEV_SET) -> list[EvalItem]:
    return load_items(path)


def pick_questions(items: Sequence[EvalItem], limit: int | None) -> list[EvalItem]:
    """All items, or ``limit`` answerable ones taking the languages in turn (ko, fr, en, ko, ...)."""
    if limit is None:
        return list(items)
    by_lang: dict[str, list[EvalItem]] = {}
    for item in items:
        if item.answerable:
            by_lang.setdefault(item.lang, []).append(item)
    first = ("ko", "fr", "en")
    langs = sorted(by_lang, key=lambda lang: (first.index(lang) if lang in first else len(first), lang))
    picked: list[EvalItem] = []
    while len(picked) < limit and any(by_lang.values()):
        for lang in langs:
            if by_lang[lang] and len(picked) < limit:
                picked.append(by_lang[lang].pop(0))
    return picked
