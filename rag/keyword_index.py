"""BM25 over the passages of one index version, queried with the question's rare terms only.

A term found in many passages ("LLM", "모델") says nothing a dense model does not
already know; a rare one ("LIMA", "HyperCLOVA", "친칠라") pins the passage down. So
only terms in at most ``rare_share`` of the passages are searched, and a question
without such terms gets no keyword signal at all.

The index saves to and loads from a folder (bm25s's own files); which terms are rare is
read from the BM25 matrix itself, so a loaded index is the built one.

Example:
    >>> keyword = KeywordIndex.from_texts(["LIMA aligns with 1,000 examples", "Chinchilla scaling"])
    >>> keyword.rare_terms("What is LIMA?")
    ['lima']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.keywords import tokenize, tokenize_many

RARE_SHARE = 0.02
_EMPTY = "∅"  # stands in for a passage without keyword tokens: bm25s needs one token per passage


class KeywordIndex:
    def __init__(self, bm25, rare_share: float = RARE_SHARE):
        self._bm25 = bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        # One matrix entry per (term, passage) pair: a term's column length is its passage count.
        doc_freq = np.diff(bm25.scores["indptr"])
        limit = max(3, int(rare_share * self.passages))
        self._rare = {t for t, i in self._vocab.items() if i < len(doc_freq) and doc_freq[i] <= limit}

    @classmethod
    def from_tokens(cls, tokens: list[list[str]], rare_share: float = RARE_SHARE) -> "KeywordIndex":
        """The index of passages given as their ``rag.keywords.tokenize`` tokens."""
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([t or [_EMPTY] for t in tokens], show_progress=False)
        return cls(bm25, rare_share)

    @classmethod
    def from_texts(cls, texts: list[str], rare_share: float = RARE_SHARE) -> "KeywordIndex":
        return cls.from_tokens(tokenize_many(texts), rare_share)

    @classmethod
    def load(cls, folder: Path, rare_share: float = RARE_SHARE) -> "KeywordIndex":
        """The index ``save`` wrote to ``folder``. Raises OSError, ValueError or TypeError when it is unreadable."""
        import bm25s

        bm25 = bm25s.BM25.load(folder, show_progress=False)
        scores = bm25.scores
        # The vocabulary holds one more term than the matrix has columns: bm25s's empty query token.
        if not (scores["num_docs"] and len(scores["indptr"]) == len(bm25.vocab_dict)
                and len(scores["data"]) == len(scores["indices"]) == scores["indptr"][-1]):
            raise ValueError("the BM25 matrix and vocabulary do not match")
        return cls(bm25, rare_share)

    def save(self, folder: Path) -> None:
        self._bm25.save(folder, show_progress=False)

    @property
    def passages(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def rare_terms(self, query: str) -> list[str]:
        return [t for t in dict.fromkeys(tokenize(query)) if t in self._rare]

    def scores(self, query: str) -> np.ndarray:
        tokens = self.rare_terms(query)
        if not tokens:
            return np.zeros(self.passages, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
