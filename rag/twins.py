"""The corpus's own translations of evidence sentences: they stand in for the sentences they translate.

A corpus may hold one text in several languages (the bundled one has the practical guide in Korean
and in French). When an evidence sentence is in another language than the question's and one of the
retrieved passages holds its translation, that translation stands in for it: the model reads it, the
sources panel shows it, and a quote of it is the documents' own wording, cited to its own passage, with
no model call. Its twin is the sentence in the question's language nearest to it among the retrieved
passages' sentences, whose nearest sentence in return is it (mutual nearest neighbours, as
``Settings.translation_floor`` was measured on the corpus), and it passes the checks a model translation
must pass: as similar to its source as the corpus's own translations are (``translation_floor``), every
name and figure kept (``rag.checks.lost_terms``).

Example:
    >>> twins = corpus_translations(evidence, hits, index, "fr", embed, 0.67)  # doctest: +SKIP
    >>> twins[korean_sentence].sentence  # doctest: +SKIP
    'En termes de fiabilité, la robustesse du LLM et les capacités d'étalonnage, …'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

from ingest.index import Index
from rag.checks import is_prose, lost_terms, needs_translation
from rag.evidence import announced_items, as_read, list_heading
from rag.types import Evidence, Hit
from rag.verify import Embed, translation_fidelity


@dataclass(frozen=True)
class _Sentence:
    hit: Hit
    index: int  # place in its passage
    text: str
    vector: np.ndarray


def corpus_translations(evidence: Sequence[Evidence], hits: Sequence[Hit], index: Index, language: str,
                        embed: Embed, floor: float) -> dict[Evidence, Evidence]:
    """The twin in ``language`` of each chosen evidence sentence (not a context one) that needs translation,
    as evidence of its own passage (numbered as the evidence numbers that passage, or after the last number
    when none of its sentences is evidence)."""
    sentences = [_Sentence(hit, j, text.strip(), vector)
                 for hit in hits if hit.row >= 0
                 for j, (text, vector) in enumerate(zip(hit.chunk.sentence_texts(), index.sentence_vectors_of(hit.row)))]
    in_language = [is_prose(s.text) and not needs_translation(s.text, language) for s in sentences]
    targets = [s for s, yes in zip(sentences, in_language) if yes]
    sources = [s for s, yes in zip(sentences, in_language) if not yes]
    if not targets or not sources:
        return {}
    target_vectors = np.stack([s.vector for s in targets])
    source_vectors = np.stack([s.vector for s in sources])
    numbers = {e.hit.row: e.n for e in evidence}
    twins: dict[Evidence, Evidence] = {}
    for e in evidence:
        if e.context or not needs_translation(e.sentence, language):
            continue
        at = next((i for i, s in enumerate(sources) if s.hit.row == e.hit.row and s.text == e.sentence), None)
        if at is None:
            continue
        nearest = int(np.argmax(target_vectors @ source_vectors[at]))
        if int(np.argmax(source_vectors @ target_vectors[nearest])) != at:
            continue
        twin = targets[nearest]
        source = as_read(e, heading=False)
        if lost_terms(source, twin.text) or translation_fidelity(source, twin.text, embed) < floor:
            continue
        stand_in = Evidence(0, twin.hit, twin.text, e.score, list_heading(twin.hit.chunk, twin.index),
                            answers_part=e.answers_part, part_score=e.part_score, hubness=e.hubness)
        # A translation that lost the list its source announces is no stand-in: the French guide's "… des trois
        # aspects suivants :" is followed by no list, its Korean source by the three (dev set).
        if announced_items(e, index) and not announced_items(stand_in, index):
            continue
        twins[e] = replace(stand_in, n=numbers.setdefault(twin.hit.row, max(numbers.values(), default=0) + 1))
    return twins


def with_twins(evidence: Sequence[Evidence], twins: Mapping[Evidence, Evidence]) -> list[Evidence]:
    """``evidence`` with each sentence that has a twin replaced by it (once, should the twin be evidence
    too), in prompt order (by passage, then by place in the passage), the passages numbered 1, 2, … in
    the order of their numbers."""
    chosen: dict[tuple[int, str], Evidence] = {}
    for e in evidence:
        twin = twins.get(e, e)
        chosen.setdefault((twin.hit.row, twin.sentence), twin)
    renumber = {n: i for i, n in enumerate(sorted({e.n for e in chosen.values()}), start=1)}
    return sorted((replace(e, n=renumber[e.n]) for e in chosen.values()),
                  key=lambda e: (e.n, e.hit.chunk.text.find(e.sentence)))
