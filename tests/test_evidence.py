"""Evidence selection: the best sentences of the retrieved passages, numbered by passage."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ingest.types import Chunk
from rag.evidence import as_read, list_heading, select_evidence
from rag.prompt import format_passages
from rag.types import Hit


class VectorIndex:
    """Just what selection reads from an index: each row's sentence vectors."""

    def __init__(self, rows: list[np.ndarray]):
        self.rows = rows

    def sentence_vectors_of(self, row: int) -> np.ndarray:
        return self.rows[row]


def passage(row: int, sentences: list[str], title: str = "A survey") -> Hit:
    text, spans = "", []
    for s in sentences:
        spans.append((len(text), len(text) + len(s)))
        text += s + " "
    chunk = Chunk(chunk_id=f"c{row}", doc_id=f"d{row}", text=text, start=0, end=len(text), language="en",
                  sentences=tuple(spans))
    return Hit(chunk=chunk, document=SimpleNamespace(title=title, doc_id=f"d{row}"), score=0.5, dense=0.5, row=row)


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_passage_with_the_best_sentence_is_number_one():
    hits = [passage(0, ["An unrelated opening sentence.", "Another unrelated sentence here."]),
            passage(1, ["Distillation trains a small student model."])]
    index = VectorIndex([np.stack([unit(0, 1), unit(0.2, 1)]), np.stack([unit(1, 0.1)])])
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=2)
    assert [(e.n, e.sentence) for e in evidence][0] == (1, "Distillation trains a small student model.")
    assert evidence[0].hit is hits[1]


def test_a_sentence_repeated_in_another_passage_is_chosen_once():
    repeated = "Efficiency covers training cost and inference latency."
    hits = [passage(0, [repeated]), passage(1, [repeated.upper()]), passage(2, ["Standard fine-tuning updates every weight."])]
    index = VectorIndex([np.stack([unit(1, 0.1)]), np.stack([unit(1, 0.1)]), np.stack([unit(1, 0.5)])])
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=3)
    assert [e.sentence.casefold() for e in evidence].count(repeated.casefold()) == 1
    assert any(e.sentence.startswith("Standard fine-tuning") for e in evidence)



def test_a_list_item_carries_its_lists_heading_into_the_prompt():
    # A findings table: the model's name, then its findings as bullets (the overview's Table II).
    hits = [passage(0, ["PaLM", "• English-centric models translate better into English.", "• Larger models memorise more."])]
    index = VectorIndex([np.stack([unit(0, 1), unit(1, 0.2), unit(1, 0.1)])])
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=2)
    assert {e.heading for e in evidence} == {"PaLM"}
    assert as_read(evidence[0]) == "PaLM: English-centric models translate better into English."
    assert "PaLM: Larger models memorise more." in format_passages(evidence)


@pytest.mark.parametrize("sentences, j, heading", [
    (["PaLM", "• a finding.", "• another finding."], 2, "PaLM"),  # past the list's earlier items
    (["Findings:", "- a finding."], 1, "Findings"),
    (["PaLM", "Not an item, a sentence."], 1, ""),
    (["This whole sentence above the list ends with a full stop.", "• a finding."], 1, ""),
    (["• a finding.", "• another finding."], 1, ""),  # the heading is in another passage: none
])
def test_list_heading(sentences, j, heading):
    assert list_heading(sentences, j) == heading


def test_findings_bullets_of_the_corpus_come_with_their_models_name(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the overview's findings table lists PaLM's findings
    as bullets under its name; the evidence for a question about memorisation carries it."""
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence("Do larger models memorise more of their training data?")
    memorised = [e for e in evidence if "더 많은 훈련 데이터를 기억" in e.sentence]
    assert memorised and as_read(memorised[0]) == "PaLM: 더 큰 모델은 더 많은 훈련 데이터를 기억합니다."


def test_the_corpus_title_line_is_evidence_but_no_quote(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the paper review's title line is among the evidence
    for a question naming the survey, and quoting it would answer nobody; it is not a quote candidate."""
    from rag.checks import comparable_text
    from rag.compose import quote_candidates
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence(
        "Which two families of LLMs does the 'Harnessing the Power of LLMs in Practice' survey introduce first?")
    titles = [e for e in evidence if comparable_text(e.sentence) == comparable_text(e.hit.document.title)]
    assert titles and "Harnessing the Power of LLMs in Practice" in titles[0].sentence
    assert not set(titles) & set(quote_candidates(evidence, "en"))
