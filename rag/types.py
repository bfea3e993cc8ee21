"""Records that flow through answering: retrieval ``Hit``s, ``Citation``s, the final ``Answer``,
and the events a streaming answer yields in order (sources first, then tokens, then the answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ingest.types import Chunk, IndexedDocument


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its scores (dense cosine, keyword BM25, fused)."""

    chunk: Chunk
    document: IndexedDocument
    score: float
    dense: float = 0.0
    keyword: float = 0.0
    row: int = -1  # the chunk's row in the index version it came from


@dataclass(frozen=True)
class Evidence:
    """A sentence of a passage selected as the best support for the question."""

    n: int  # 1-based passage number as shown in the prompt and the answer
    hit: Hit
    sentence: str
    score: float  # similarity of the sentence to the question
    # For a list item, its list's heading ("PaLM" above "• 더 큰 모델은 …"); for a later sentence of a survey entry,
    # the entry's subject ("PaLM" for "또한, 540B …" in "PaLM [15]: …"); see rag.evidence.
    heading: str = ""
    context: bool = False  # the sentence after one of the best: shown to the model, not quoted (rag.evidence)
    answers_part: bool = False  # the best sentence for one part of a question asking several things (rag.evidence)
    part_score: float = 0.0  # when it answers a part, its similarity to that part
    hubness: float = 0.0  # how close the sentence sits to many others in the index (ingest.index.sentence_hubness)


@dataclass(frozen=True)
class Citation:
    """A passage cited in the answer, with the sentence that supports the claim."""

    n: int
    hit: Hit
    sentence: str
    support: float  # similarity between the answer sentence(s) citing it and the passage

    def to_dict(self) -> dict:
        c, d = self.hit.chunk, self.hit.document
        return {
            "n": self.n,
            "document": d.title,
            "source": d.source,
            "seed": d.seed,
            "language": c.language,
            "page": c.page,
            "location_kind": d.location_kind or ("page" if c.page else "heading"),
            "location": d.location_of(c),
            "heading": c.heading,
            "start": c.start,
            "end": c.end,
            "passage": c.text,
            "sentence": self.sentence,
            "support": round(self.support, 4),
        }


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()  # the passages retrieved (shown beside refusals too)
    standalone_question: str = ""
    notice: str = ""  # e.g. "the model's answer was replaced by the evidence sentences"
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "language": self.language,
            "text": self.text,
            "refused": self.refused,
            "notice": self.notice,
            "citations": [c.to_dict() for c in self.citations],
            "nearest": [
                {"document": h.document.title, "language": h.chunk.language, "page": h.chunk.page,
                 "passage": h.chunk.text, "score": round(h.score, 4)}
                for h in self.hits
            ],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass(frozen=True)
class SourcesEvent:
    """Retrieval is done: the passages and best sentences, before the model starts writing."""

    hits: tuple[Hit, ...]
    evidence: tuple[Evidence, ...]
    language: str
    will_refuse: bool


@dataclass(frozen=True)
class TokenEvent:
    text: str
    restart: bool = False  # the reply so far was discarded (wrong language): start the display afresh


@dataclass(frozen=True)
class AnswerEvent:
    answer: Answer


Event = Union[SourcesEvent, TokenEvent, AnswerEvent]
