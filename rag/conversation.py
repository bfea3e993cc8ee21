"""Follow-up questions: make a question that leans on the previous turn searchable on its own.

A small local model rewrites follow-ups unreliably and slowly, so the rewrite is
deterministic: a follow-up (it opens with a connective such as "그럼", "Et du coup",
"what about", or is very short) is searched together with the previous question.

Example:
    >>> standalone_question("그럼 파인튜닝만 해도 되나요?", ["정제(증류)하면 뭐가 좋아지나요?"])
    '정제(증류)하면 뭐가 좋아지나요? 그럼 파인튜닝만 해도 되나요?'
    >>> standalone_question("What is LoRA?", [])
    'What is LoRA?'
"""

from __future__ import annotations

import re
from typing import Sequence

_FOLLOW_UP = re.compile(
    r"^\s*(?:그럼|그러면|그래서|그렇다면|그건|그거|그리고|또|아니면|이건|이거|"
    r"et du coup|du coup|et (?:si|pour|alors|le|la|les|en)|alors|dans ce cas|et\b|mais\b|"
    r"what about|how about|and (?:what|how|if|for|the)|so\b|then\b|but\b|in that case|also\b)",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|its|they|them|that one|this one|ça|cela|celui-ci|celle-ci|ceux-ci)\b", re.IGNORECASE)
_SHORT_WORDS = 4


def is_follow_up(question: str) -> bool:
    q = question.strip()
    return bool(_FOLLOW_UP.match(q) or _PRONOUN.search(q) or len(q.split()) <= _SHORT_WORDS)


def standalone_question(question: str, previous_questions: Sequence[str]) -> str:
    """The text to retrieve with: the question, preceded by the last question if this one follows up."""
    if not previous_questions or not is_follow_up(question):
        return question
    return f"{previous_questions[-1].strip()} {question.strip()}"
