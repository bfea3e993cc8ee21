"""A saved conversation as a Markdown or JSON file to download, and the ratings as test questions.

Markdown: each question, its answer with the ``[n]`` markers, then the numbered sources
(document, page or section, the quoted supporting sentence). JSON: the same with every
field of the answer (``Answer.to_dict``) and the documents each question was scoped to.

Example:
    >>> conversation_markdown("NER", [])
    '# NER\\n'
"""

from __future__ import annotations

import json
from typing import Sequence

from core.text import one_line
from rag.types import Citation
from ui.conversations import Feedback, Turn


def _where(citation: Citation) -> str:
    chunk = citation.hit.chunk
    if chunk.page:
        return f"p. {chunk.page}"
    return f"§ {one_line(chunk.heading, 80)}" if chunk.heading else ""


def _source_line(citation: Citation) -> str:
    where = _where(citation)
    quote = one_line(citation.sentence, 600).replace('"', "'")
    return f"{citation.n}. **{citation.hit.document.title}**{', ' + where if where else ''}: \"{quote}\""


def conversation_markdown(title: str, turns: Sequence[Turn]) -> str:
    parts = [f"# {one_line(title, 200)}\n"]
    for i, turn in enumerate(turns, start=1):
        answer = turn.answer
        parts.append(f"## {i}. {one_line(turn.question, 500)}\n")
        if turn.scope:
            parts.append("Documents: " + "; ".join(turn.scope) + "\n")
        parts.append(answer.text.strip() + "\n")
        if answer.notice:
            parts.append(f"_{answer.notice}_\n")
        if answer.citations:
            parts.append("Sources:\n\n" + "\n".join(_source_line(c) for c in sorted(answer.citations, key=lambda c: c.n))
                         + "\n")
    return "\n".join(parts)


def conversation_json(title: str, turns: Sequence[Turn]) -> str:
    return json.dumps({"title": title, "turns": [
        {"question": t.question, "scope": list(t.scope), "answer": t.answer.to_dict()} for t in turns
    ]}, ensure_ascii=False, indent=1)


def feedback_questions(ratings: Sequence[Feedback]) -> list[dict]:
    """The rated answers as questions in the evaluation set's format (``survey_rag/data/dev.jsonl``:
    id, lang, question, answerable, gold [{doc, evidence}], kind), with the rating, the comment and the answer.

    ``answerable`` is the page's verdict (answered or refused) kept by a thumbs up and reversed by a
    thumbs down; ``gold`` is the cited sentences of an answer rated up (none otherwise): a reviewer
    checks both before a question joins the evaluation set."""
    out = []
    for i, f in enumerate(ratings, start=1):
        answered = not f.answer.refused
        gold = [{"doc": c.hit.document.seed or c.hit.document.source.replace("\\", "/").rsplit("/", 1)[-1],
                 "evidence": c.sentence} for c in f.answer.citations] if f.rating > 0 and answered else []
        out.append({
            "id": f"feedback-{i:03d}", "lang": f.answer.language, "question": f.question,
            "answerable": answered if f.rating > 0 else not answered, "gold": gold, "kind": "feedback",
            "rating": f.rating, "comment": f.comment, "answer": f.answer.text, "refused": f.answer.refused,
            "scope": list(f.scope), "index_version": f.index_version, "user": f.user, "created": f.created,
        })
    return out
