"""Language-aware keyword tokenisation for BM25.

Korean goes through Kiwi's morphological analyser, keeping content morphemes
(nouns, verb and adjective stems, roots, foreign words and numbers), so
"파인튜닝하면" and "파인튜닝은" both give "파인튜닝". Latin-script text is
split on Unicode word boundaries, case- and accent-folded ("Évaluation" ->
"evaluation"), with French and English function words removed.

Example:
    >>> tokenize("LLM이 환각을 줄이려면?")
    ['llm', '환각', '줄이']
    >>> tokenize("파인튜닝하면")
    ['파인', '튜닝', '파인튜닝']
    >>> tokenize("Quand faut-il distiller un modèle ?")
    ['distiller', 'modele']
"""

from __future__ import annotations

import hashlib
import inspect
import re
import unicodedata
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from core.text import HANGUL, kiwi

_WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*", re.UNICODE)
_KEEP_TAGS = {"NNG", "NNP", "NR", "SL", "SN", "SH", "XR", "VV", "VA", "MAG"}
_KEEP_TAG_PREFIXES = ("VV", "VA")  # Kiwi marks irregular stems as VV-I, VA-R, ...

STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have how i if in into is it its
    just me my of on or our should so than that the their them then there these they this those to was we
    were what when where which while who whom why will with would you your about also any more most much
    other some such very vs versus whats
    au aux avec ce ces cet cette dans de des du elle elles en est et etre eux il ils je la le les leur leurs
    lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que quel quelle quelles quels qui
    sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y a est-ce quoi faut-il
    peut plus sont ete comme donc alors si quand pourquoi comment combien
    """.split()
)


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Évaluée' -> 'evaluee'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Recompose so Hangul syllables, which NFKD splits into jamo, come back whole.
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def tokenize(text: str) -> list[str]:
    """Keyword tokens of ``text`` in any of the corpus languages."""
    text = unicodedata.normalize("NFKC", text)
    if HANGUL.search(text):
        return _tokenize_korean(text)
    return _tokenize_latin(text)


def _tokenize_latin(text: str) -> list[str]:
    tokens = []
    for word in _WORD.findall(text):
        token = fold(word)
        if token in STOPWORDS or (len(token) < 2 and not token.isdigit()):
            continue
        tokens.append(_light_stem(token))
    return tokens


def _light_stem(token: str) -> str:
    """Fold plurals so 'models'/'modèles' meet 'model'/'modèle'; leave short words and acronyms alone."""
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


_NOUN_TAGS = {"NNG", "NNP", "SL", "SN", "XR"}


def _tokenize_korean(text: str) -> list[str]:
    """Content morphemes, plus each run of touching nouns as one compound.

    Kiwi splits some compounds one way here and another way there ("파인튜닝하면" gives
    "파인" + "튜닝", "파인튜닝만" gives "파인튜닝"); emitting the parts and the joined
    compound lets either form match.
    """
    tokens = _content_morphemes(text)
    run: list = []
    for tok in [*kiwi().tokenize(text), None]:
        if tok is not None and tok.tag in _NOUN_TAGS and (not run or run[-1].start + run[-1].len == tok.start):
            run.append(tok)
            continue
        if len(run) > 1:
            tokens.append(fold("".join(t.form for t in run)))
        run = [tok] if tok is not None and tok.tag in _NOUN_TAGS else []
    return tokens


def _content_morphemes(text: str) -> list[str]:
    tokens = []
    for tok in kiwi().tokenize(text):
        tag = tok.tag
        if tag not in _KEEP_TAGS and not tag.startswith(_KEEP_TAG_PREFIXES):
            continue
        form = tok.form
        if tag == "SL":
            form = fold(form)
            if form in STOPWORDS:
                continue
            form = _light_stem(form)
        if len(form) < 2 and tag not in {"SN", "NNG", "NNP"}:
            continue
        tokens.append(form)
    return tokens


def tokenize_many(texts: list[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


@lru_cache(maxsize=1)
def tokenizer_fingerprint() -> str:
    """Changes whenever ``tokenize`` could give other tokens: this module's code, how the Kiwi analyser
    is made, Kiwi's code and model versions, Python's Unicode tables. Saved tokens carry it."""
    parts = [
        Path(__file__).read_bytes(),
        inspect.getsource(kiwi).encode(),
        metadata.version("kiwipiepy").encode(),
        metadata.version("kiwipiepy_model").encode(),
        unicodedata.unidata_version.encode(),
    ]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]
