"""Do the retrieved passages answer the question? Signals beyond one similarity score.

A single similarity cannot tell "What is LLaMA-2's context window?" (the documents discuss
LLaMA-2, never its context window) from an answerable question: both retrieve close passages.
So the decision also reads the question's specific terms, the names and figures it is about:

* ``specific_terms``: model, benchmark and method names, acronyms and versioned names
  ("Llama 3 70B", "GPT-4o", "MMLU", "8x7B"), as the question writes them;
* ``missing_terms``: those that occur nowhere in the retrieved passages (compared without case,
  spaces and hyphens: "LLaMA-2" matches "Llama 2");
* ``asks_quantity`` / ``states_quantity``: a "how many / combien / 몇" question is answered only by
  an evidence sentence that gives a figure (a number the question does not already contain).

Example:
    >>> specific_terms("What's the max context window of Llama 3 70B?")
    ('Llama 3 70B',)
    >>> missing_terms(("Llama 3 70B", "MMLU"), ["LLaMA-2 70B scores 68.9 on MMLU."])
    ('Llama 3 70B',)
    >>> asks_quantity("Vicuna ca fait combien de parametres ?"), asks_quantity("Quand distiller ?")
    (True, False)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

from rag.types import Evidence

# A Latin-script word or a figure, possibly joined by hyphens or dots ("GPT-4o", "3.5", "8x7B").
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_VERSION = re.compile(r"^(?:\d+(?:\.\d+)?[A-Za-z]{0,2}|[A-Za-z]?\d+[A-Za-z]?|v\d+(?:\.\d+)?)$")
_HAS_DIGIT = re.compile(r"\d")
# Words that are capitalised in questions without naming anything the documents must contain.
_COMMON = frozenset(
    """a an and are as at be but by can could do does for from had has have how i if in is it its
    me my no not of on or our should so than that the their then there these they this to use was we
    what when where which who whom whose why will with would you your yes ok hi hello please
    le la les un une des du de et est ou pour par sur dans avec quel quelle quels quelles quand comment
    pourquoi est-ce qu que qui je tu il elle nous vous ils on ça ce cette ces mon ma mes
    lequel laquelle lesquels lesquelles dont où
    english french korean anglais français coréen
    llm llms ai api nlp ml gpu cpu faq vs etc""".split()
)
_QUANTITY = re.compile(
    r"\bhow (?:many|much|long|big|large)\b|\bwhat (?:score|percentage|size|number)\b|\bwhich score\b|"
    r"\bcombien\b|\bquel(?:le)? (?:score|taille|nombre|pourcentage)\b|"
    r"몇|얼마|점수|수치|크기가",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*\s*(?:%|[kKmMbB]\b|[xX]\b)?")


def _fold(text: str) -> str:
    """Case, width, spaces and hyphens folded away: 'LLaMA-2 70B' -> 'llama270b'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s\-_.·]+", "", text)


def specific_terms(question: str) -> tuple[str, ...]:
    """The names and versioned names the question is about, in order, each once."""
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(question)]
    terms: list[str] = []
    i = 0
    while i < len(tokens):
        word, start = tokens[i]
        if not _is_name(word, first=_starts_sentence(question, start)):
            i += 1
            continue
        end = i + 1
        while end < len(tokens) and _VERSION.match(tokens[end][0]) and _adjacent(question, tokens[end - 1], tokens[end]):
            end += 1
        term = question[start : tokens[end - 1][1] + len(tokens[end - 1][0])]
        if term not in terms:
            terms.append(term)
        i = end
    return tuple(terms)


def _is_name(word: str, first: bool) -> bool:
    if word.casefold() in _COMMON or word.split("-")[0].casefold() in _COMMON or len(word) < 2:
        return False
    if _HAS_DIGIT.search(word):
        return bool(re.search(r"[A-Za-z]", word))  # "GPT-4o", "70B", "A100"; a bare number is no name
    capitals = sum(ch.isupper() for ch in word)
    return capitals >= 2 or (capitals == 1 and word[0].isupper() and not first)


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" «»\"'“”‘’(")
    return not before or before[-1] in ".?!:;"


def _adjacent(text: str, left: tuple[str, int], right: tuple[str, int]) -> bool:
    between = text[left[1] + len(left[0]) : right[1]]
    return between in (" ", "-", "")


def missing_terms(terms: Iterable[str], texts: Iterable[str]) -> tuple[str, ...]:
    """The terms that occur as whole words in none of ``texts`` (case, and spaces or hyphens between the
    term's parts, ignored: "LLaMA-2" matches "Llama 2"; "TPU" does not match "output")."""
    haystack = unicodedata.normalize("NFKC", " ".join(texts))
    return tuple(t for t in terms if not _term_pattern(t).search(haystack))


def _term_pattern(term: str) -> re.Pattern:
    parts = re.findall(r"[A-Za-z]+|\d+", unicodedata.normalize("NFKC", term))
    body = r"[\s\-_.·]*".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


def asks_quantity(question: str) -> bool:
    """The question asks for a figure: how many, how much, what score, combien, 몇, 얼마."""
    return bool(_QUANTITY.search(question))


def states_quantity(question: str, sentences: Iterable[str]) -> bool:
    """Some sentence gives a figure that the question does not already contain."""
    asked = {_fold(m.group()) for m in _FIGURE.finditer(question)}
    return any(_fold(m.group()) not in asked for s in sentences for m in _FIGURE.finditer(s)
               if sum(ch.isdigit() for ch in m.group()) >= 1 and not _is_reference(s, m))


def _is_reference(sentence: str, match: re.Match) -> bool:
    """A bibliography marker like "[12]" is no figure."""
    return sentence[max(0, match.start() - 1) : match.start()] == "[" and sentence[match.end() : match.end() + 1] in "],"


@dataclass(frozen=True)
class Signals:
    """What the answerability decision reads, for one question."""

    best_score: float  # similarity of the best evidence sentence to the question
    missing: tuple[str, ...]  # specific terms of the question found in no retrieved passage
    asks_quantity: bool
    states_quantity: bool  # an evidence sentence gives a figure the question does not

    def as_features(self) -> dict[str, float]:
        return {"best": self.best_score, "missing": float(bool(self.missing)),
                "quantity_unstated": float(self.asks_quantity and not self.states_quantity)}


def signals(question: str, passages: Sequence[str], evidence: Sequence[Evidence], best: float) -> Signals:
    asked = asks_quantity(question)
    return Signals(best_score=best, missing=missing_terms(specific_terms(question), passages),
                   asks_quantity=asked, states_quantity=asked and states_quantity(question, [e.sentence for e in evidence]))
