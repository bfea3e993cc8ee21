"""Acronyms the documents define, spelled out in questions before dense search.

A survey defines its acronyms once ("검색 보강 생성 (RAG)") and then often uses other words
for the same idea ("검색 증강을 통해 작은 모델도…"). A question that only says "RAG" embeds
close to the passages that repeat the acronym; with the documents' own full form appended it
also reaches the passages that use the words. Only rare acronyms are expanded: one found in
many passages ("LLM") is already well represented, and its full form would only add noise.

Example:
    >>> glossary = AcronymGlossary.from_texts(["Retrieval augmented generation (RAG) adds passages."])
    >>> glossary.expand("Does RAG help small models?")
    'Does RAG (Retrieval augmented generation) help small models?'
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from core.text import kiwi

# "(RAG)", "(GeLU)", "(CPM-2)": two or more capitals, at most ten characters.
_DEFINED = re.compile(r"\(([A-Z][A-Za-z0-9-]{1,9})\)")
# A full form never crosses these: it is the words right before the parenthesis, in one clause.
_CLAUSE_END = re.compile(r"[.!?:;,()\[\]「」“”\"]")
# Korean words that can be part of a term: nouns, roots, foreign words, numbers, and modifiers
# before them ("마스크된 언어 모델링"); the term's last word ends in a noun. A particle or a verb
# ending ("강력하며") ends the term; a copula ("소스인": "which is the source") too.
_TERM_START = ("NN", "SL", "SN", "XR", "XPN", "MM", "VA", "VV")
_TERM_END = ("NNG", "NNP", "SL", "SN", "XSN")
# "피드백과 강화학습", "석유 및 광물 대학교": the term goes on before "and", so where it starts is unknown.
_AND = {"과", "와", "및"}


def _any_of(acronyms: Iterable[str]) -> re.Pattern[str]:
    """Any of ``acronyms`` as a whole word, the longest first."""
    body = "|".join(re.escape(a) for a in sorted(acronyms, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])")


def _capitals(acronym: str) -> str:
    return "".join(ch for ch in acronym if ch.isupper())


def full_form(before: str, acronym: str) -> str | None:
    """The words of ``before`` that ``(acronym)`` abbreviates, or None when they cannot be told.

    Latin words must start with the acronym's capitals, in order ("Byte Pair Encoding (BPE)");
    Korean words are the term the clause ends with, as many words as the acronym has capitals at most.

    >>> full_form("모델이 보상 모델링", "RM")
    '보상 모델링'
    >>> full_form("이를 위해 인간 피드백과 강화학습", "RLHF") is None  # where the term starts is unclear
    True
    """
    capitals = _capitals(acronym)
    words = _CLAUSE_END.split(before)[-1].split()[-len(capitals):]
    if len(capitals) < 2 or not words:
        return None
    latin = words[next((i + 1 for i in range(len(words) - 1, -1, -1) if not words[i].isascii()), 0):]
    if latin:
        initials = "".join(w[0].upper() + "".join(p[0] for p in w.split("-")[1:] if p[:1].isupper()) for w in latin)
        ok = initials == capitals or (len(latin) > 1 and capitals.startswith(initials))
        return " ".join(latin) if ok else None
    term = _korean_term(words)
    return " ".join(term) if term and (len(term) > 1 or len(term[0]) > 2) else None


def _korean_term(words: Sequence[str]) -> list[str]:

    words = [w.lstrip("0123456789") for w in words]  # a footnote number glued on: "8오스트레일리아"
    text = " ".join(words)
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    tags: list[list[str]] = [[] for _ in words]
    for token in kiwi().tokenize(text):  # the whole clause: Kiwi tags a lone word less reliably
        tags[max(i for i, start in enumerate(starts) if start <= token.start)].append(token.tag)
    term: list[str] = []
    for word, word_tags in zip(reversed(words), reversed(tags)):
        if word in _AND or (word_tags and word_tags[-1] == "JC"):
            return []
        if (not word_tags or not word_tags[0].startswith(_TERM_START) or "VCP" in word_tags
                or not word_tags[-1].startswith(_TERM_END if not term else (*_TERM_END, "ETM"))):
            break
        term.append(word)
    return term[::-1]


@dataclass(frozen=True)
class AcronymGlossary:
    """Rare acronyms defined in the documents, each with its most frequent full form."""

    full_forms: Mapping[str, str]
    _mentioned: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One pattern for all acronyms: a question is scanned once, however many the documents define.
        object.__setattr__(self, "_mentioned", _any_of(self.full_forms) if self.full_forms else re.compile(r"(?!)"))

    @classmethod
    def from_texts(cls, texts: Sequence[str], rare_share: float = 0.02) -> "AcronymGlossary":
        """Acronyms defined in ``texts`` and mentioned in at most ``rare_share`` of them (at least 3)."""
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            for match in _DEFINED.finditer(text):
                form = full_form(text[: match.start()], match.group(1))
                if form:
                    found[match.group(1)][form] += 1
        if not found:
            return cls({})
        any_of = _any_of(found)
        passages_with: Counter[str] = Counter(a for t in texts for a in set(any_of.findall(t)))
        limit = max(3, int(rare_share * len(texts)))
        return cls({a: forms.most_common(1)[0][0] for a, forms in found.items() if passages_with[a] <= limit})

    def expand(self, question: str) -> str:
        """``question`` with the first mention of each known acronym followed by its full form."""
        folded, done = question.casefold(), set()

        def spell_out(match: re.Match[str]) -> str:
            acronym, form = match.group(0), self.full_forms[match.group(0)]
            if acronym in done or form.casefold() in folded:
                return acronym
            done.add(acronym)
            return f"{acronym} ({form})"

        return self._mentioned.sub(spell_out, question)
