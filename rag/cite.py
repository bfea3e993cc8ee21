"""Attach citations the answer can be trusted for.

The model's own [n] markers are not trusted: each answer sentence is embedded
and compared with every sentence of every passage shown to the model, with a
small bonus for sharing exact anchors (numbers, acronyms, model names such as
"20B" or "SRAM"), which embeddings blur. A marker stays only if its passage
supports the sentence; the best-supporting passage is always cited, and so is any
other passage that supports it about as well (the same sentence often sits in two
overlapping or translated passages). Markers are placed at the end of each sentence.

Example:
    >>> result = attach_citations("Distillation makes models smaller.", passages, embed)  # doctest: +SKIP
    >>> result.text  # doctest: +SKIP
    'Distillation makes models smaller. [1]'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from core.text import citation_numbers, is_figure, split_sentences, strip_citation_markers
from rag.types import Citation, Hit

_MIN_CLAIM_CHARS = 8  # "Oui." or "네." states no fact that needs a source
_ANCHOR = re.compile(r"[A-Za-z]*\d[\w.-]*|[A-Z][A-Za-z]*[A-Z][\w-]*")
_ANCHOR_BONUS = 0.1  # added in proportion to the answer sentence's anchors found in a passage sentence
_TIE_MARGIN = 0.03  # passages supporting a sentence this close to the best one are cited too
_MAX_MARKERS = 3


@dataclass(frozen=True)
class SourcePassage:
    """A passage shown to the model: its number, hit, sentences and their vectors."""

    n: int
    hit: Hit
    sentences: tuple[str, ...]
    vectors: np.ndarray  # (len(sentences), dim), normalised


@dataclass(frozen=True)
class CitedAnswer:
    text: str
    citations: tuple[Citation, ...]
    supported_sentences: int
    total_sentences: int
    markers_fixed: int  # model markers removed or replaced
    # Each supported sentence (markers left out) with the passage sentence it rests on (its best support).
    grounds: tuple[tuple[str, str], ...] = ()


def strip_markers(text: str) -> tuple[str, list[int]]:
    return strip_citation_markers(text), citation_numbers(text)


def attach_citations(
    answer: str,
    passages: Sequence[SourcePassage],
    embed: Callable[[list[str]], np.ndarray],
    threshold: float = 0.45,
) -> CitedAnswer:
    """Place a verified [n] after each answer sentence that a passage supports."""
    spans = split_sentences(answer)
    sentences = [answer[s.start : s.end] for s in spans] or [answer]
    plain: list[tuple[str, list[int]]] = []
    for sentence in sentences:
        text, markers = strip_markers(sentence)
        if not text and plain:  # "… a fact. [2]": the marker belongs to the sentence before it
            plain[-1][1].extend(markers)
        else:
            plain.append((text, markers))
    claims = [i for i, (text, _) in enumerate(plain) if len(text) >= _MIN_CLAIM_CHARS]
    by_n = {p.n: p for p in passages}
    vectors = embed([plain[i][0] for i in claims]) if claims and passages else np.zeros((0, 1))

    best: dict[int, tuple[float, str]] = {}  # n -> (support, sentence) over the whole answer
    out_sentences, supported, fixed = [], 0, 0
    grounds: list[tuple[str, str]] = []
    for i, (text, model_markers) in enumerate(plain):
        chosen: list[int] = []
        if i in claims:
            vec = vectors[claims.index(i)]
            anchors = _anchors(text)
            support = {p.n: _support(p, vec, anchors) for p in passages}
            stating = _stating_figures(passages, anchors)
            if stating:
                support = {n: found for n, found in support.items() if n in stating}
            valid = [m for m in dict.fromkeys(model_markers) if m in support and support[m][0] >= threshold]
            fixed += len(set(model_markers)) - len(valid)
            top = max((score for score, _ in support.values()), default=0.0)
            near_top = [n for n, (score, _) in support.items() if score >= max(threshold, top - _TIE_MARGIN)]
            chosen = sorted(set(valid) | set(near_top), key=lambda n: -support[n][0])[:_MAX_MARKERS]
            for n in chosen:
                score, sentence = support[n]
                if score > best.get(n, (-1.0, ""))[0]:
                    best[n] = (score, sentence)
            supported += bool(chosen)
            if chosen:
                grounds.append((text, support[chosen[0]][1]))
        else:
            fixed += len(set(model_markers))
        out_sentences.append(text + "".join(f" [{n}]" for n in chosen))

    citations = tuple(
        Citation(n=n, hit=by_n[n].hit, sentence=sentence, support=min(score, 1.0))
        for n, (score, sentence) in sorted(best.items())
    )
    return CitedAnswer(" ".join(s for s in out_sentences if s), citations, supported, len(claims), fixed, tuple(grounds))


def _support(passage: SourcePassage, vec: np.ndarray, anchors: frozenset[str]) -> tuple[float, str]:
    """Best support of an answer sentence by one of the passage's sentences: similarity, plus a bonus
    for the share of the answer sentence's anchors that the passage sentence contains."""
    if not len(passage.sentences):
        return 0.0, ""
    sims = passage.vectors @ vec
    if anchors:
        sims = sims + np.array([_ANCHOR_BONUS * len(anchors & _anchors(s)) / len(anchors) for s in passage.sentences])
    j = int(np.argmax(sims))
    return float(sims[j]), passage.sentences[j]


def _stating_figures(passages: Sequence[SourcePassage], anchors: frozenset[str]) -> set[int]:
    """The passages with a sentence stating every figure among ``anchors`` ("20b", "2.4"; not a lone digit,
    which numbers figures and list items), none when no figure is among them or no passage states them all.
    A figure is where a claim came from: "below 20B parameters a model is fine-tuned territory …" was cited
    to the French guide's passage on LLMs, more similar to it, and not to the paper review's "(<20B 파라미터를
    미세조정 수준으로 간주)" (dev-011, run S3); over run S3's answers this changes no other sentence's citation."""
    figures = {a for a in anchors if is_figure(a)}
    if not figures:
        return set()
    return {p.n for p in passages if any(figures <= _anchors(s) for s in p.sentences)}


def _anchors(text: str) -> frozenset[str]:
    """Exact tokens worth matching literally: numbers, acronyms and model names ("20B", "GPT-3", "SRAM")."""
    return frozenset(m.group().casefold().rstrip(".-") for m in _ANCHOR.finditer(text))
