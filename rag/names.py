"""Names written in Hangul, given back their Latin spelling from the document that writes them.

The overview is a Korean translation of an English survey: its findings tables head each model's
bullets with the model's name, most of them transliterated ("팬구-Σ" for PanGu-Σ, "알렉사TM" for
AlexaTM, "코덱스" for Codex), while its prose keeps the Latin spelling. An answer in French or English
needs the Latin one: the small model's own rendering of such a heading is a guess ("친칠라" came back
as "ChatGPT", "팬구-Σ" as "Fanpage-Σ"). So the heading is transliterated (``anyascii``) and matched
against the capitalised Latin-script names of the same document; a name with no close match
("참새", Sparrow, is a translation, not a transliteration) keeps no Latin form.

Example:
    >>> names = DocumentNames.from_texts(["PanGu-Σ [92] uses Random Routed Experts.", "Codex and GPT-3"])
    >>> names.latin("팬구-Σ"), names.latin("코덱스"), names.latin("참새")
    ('PanGu-Σ', 'Codex', None)
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from anyascii import anyascii

from core.text import HANGUL
from ingest.index import Index
from rag.types import Evidence

# "PanGu-Σ", "CodeT5+", "AlexaTM", "GPT-NeoX-20B": a Latin-script word with its hyphenated parts
# and suffix (``_is_name`` keeps the names among them).
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*\+?(?:-[\u0391-\u03a9])?")
# Korean romanisation against English spelling: sounds Korean writes with other letters (f/p, v/b,
# r/l, x/ks) and the vowel it adds between consonants ("eu": 플랑 = "peullang" for Flan).
_SAME_SOUND = (("eu", ""), ("ae", "a"), ("eo", "o"), ("ph", "p"), ("f", "p"), ("v", "b"), ("b", "p"),
               ("d", "t"), ("g", "k"), ("c", "k"), ("q", "k"), ("x", "ks"), ("r", "l"), ("z", "s"),
               ("j", "s"), ("y", "i"), ("w", "u"))
# Read off the overview's twelve transliterated headings (not fitted to the questions): seven matched
# their Latin spelling at 0.92-1.0; the closest wrong pairings scored 0.77 (Alpaca for 알파코드, CodeGen
# for 코덱스) and Korean words 0.73 at most; Flan (0.80 for 플랑) and Jurassic-1 (0.71) stay unmatched.
_MIN_MATCH = 0.85


def _sound(text: str) -> str:
    """What a name sounds like, in letters Korean and English spellings share."""
    key = anyascii(text).lower()
    for written, said in _SAME_SOUND:
        key = key.replace(written, said)
    return re.sub(r"[^a-z0-9+]", "", key)


def _is_name(word: str) -> bool:
    """A capital past the first letter ("AlexaTM", "mT5"), or a capitalised word of four letters or more."""
    return any(ch.isupper() for ch in word[1:]) or (word[0].isupper() and len(word) >= 4)


@dataclass(frozen=True)
class DocumentNames:
    """The Latin-script names of one document."""

    names: tuple[str, ...]
    sounds: tuple[str, ...]  # ``_sound`` of each name, worked out once per document

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "DocumentNames":
        found = sorted({m.group() for text in texts for m in _LATIN_NAME.finditer(text) if _is_name(m.group())})
        return cls(tuple(found), tuple(_sound(n) for n in found))

    def latin(self, name: str) -> str | None:
        """The document's Latin spelling of ``name`` when it is written in Hangul and one name of the
        document sounds clearly like it; else None."""
        if not HANGUL.search(name):
            return None
        key = _sound(name)
        scored = sorted(((difflib.SequenceMatcher(None, key, sound).ratio(), n, sound)
                         for n, sound in zip(self.names, self.sounds)), reverse=True)
        if not scored or scored[0][0] < _MIN_MATCH:
            return None
        # Two spellings of one name ("CodeT5" and "CodeT5+"): the one that sounds exactly like it.
        close = [(n, sound) for ratio, n, sound in scored if ratio == scored[0][0]]
        return min(close, key=lambda c: (c[1] != key, len(c[0])))[0]


class NameSpellings:
    """``DocumentNames`` of an index's documents, each read from its passages on first use."""

    def __init__(self, index: Index):
        self.index = index
        self._by_document: dict[str, DocumentNames] = {}
        self._lock = threading.Lock()

    def of(self, doc_id: str) -> DocumentNames:
        with self._lock:
            if doc_id not in self._by_document:
                self._by_document[doc_id] = DocumentNames.from_texts(
                    c.text for c in self.index.chunks if c.doc_id == doc_id)
            return self._by_document[doc_id]


def latin_spellings(evidence: Sequence[Evidence], spellings: NameSpellings) -> dict[str, str]:
    """Each Hangul list heading of the evidence that its document writes in Latin script, with that spelling (the
    first document's, for a heading two documents spell)."""
    spelled: dict[str, str] = {}
    for e in evidence:
        if e.heading and e.heading not in spelled:
            latin = spellings.of(e.hit.chunk.doc_id).latin(e.heading)
            if latin:
                spelled[e.heading] = latin
    return spelled


def latin_headings(evidence: Sequence[Evidence], spellings: NameSpellings) -> list[Evidence]:
    """The evidence with each Hangul list heading in its document's Latin spelling where it has one
    (for an answer in French or English)."""
    out = []
    for e in evidence:
        latin = spellings.of(e.hit.chunk.doc_id).latin(e.heading) if e.heading else None
        out.append(replace(e, heading=latin) if latin else e)
    return out


def in_latin(text: str, spelled: Mapping[str, str]) -> str:
    """``text`` with each Hangul name of ``spelled`` (``latin_spellings``) written in Latin script.

    >>> in_latin("갤랙티카는 몇 토큰? 친칠라: 1.4조 토큰", {"갤랙티카": "Galactica", "친칠라": "Chinchilla"})
    'Galactica는 몇 토큰? Chinchilla: 1.4조 토큰'
    """
    for hangul in sorted(spelled, key=len, reverse=True):
        text = text.replace(hangul, spelled[hangul])
    return text
