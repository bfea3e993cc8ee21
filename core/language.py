"""Language detection restricted to the corpus languages (Korean, French, English).

Hangul is unambiguous, so script decides Korean; lingua separates French from
English. Mixed text ("LLM vs fine-tuned model pour NER ?") is judged by the
share of Hangul letters and then by lingua on the Latin part.

Example:
    >>> detect_language("디코더 전용 모델이 왜 주류가 되었나?")
    'ko'
    >>> detect_language("Quand faut-il distiller un modèle ?")
    'fr'
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.text import HANGUL, LETTER

SUPPORTED = ("ko", "fr", "en")
LANGUAGE_NAMES = {"ko": "Korean", "fr": "French", "en": "English"}
NATIVE_NAMES = {"ko": "한국어", "fr": "français", "en": "English"}

# Words and letters that do not occur in English prose.
_FRENCH_MARKERS = re.compile(
    r"\b(?:les|des|du|une|est|pour|avec|dans|quel|quelle|quels|quelles|pourquoi|comment|"
    r"c'est|faut|sur|modèle|modèles|qui|que|cette|ces|aux|être|peut|lequel|laquelle)\b|[éèêàùçôîœ]",
    re.IGNORECASE,
)
_HANGUL_SHARE_FOR_KOREAN = 0.3


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.KOREAN, Language.FRENCH, Language.ENGLISH).build()


def hangul_share(text: str) -> float:
    letters = LETTER.findall(text)
    if not letters:
        return 0.0
    return sum(1 for ch in letters if HANGUL.match(ch)) / len(letters)


def detect_language(text: str, default: str = "en") -> str:
    """Return 'ko', 'fr' or 'en' for ``text`` (``default`` when it has no letters)."""
    if not LETTER.search(text):
        return default
    if hangul_share(text) >= _HANGUL_SHARE_FOR_KOREAN:
        return "ko"
    latin = HANGUL.sub(" ", text)
    from lingua import Language

    found = _detector().detect_language_of(latin)
    if found == Language.FRENCH:
        return "fr"
    if found == Language.KOREAN:
        return "ko"
    # Short technical questions full of English terms often carry a few French words.
    if _FRENCH_MARKERS.search(latin):
        return "fr"
    return "en"


def document_languages(texts: list[str]) -> tuple[str, ...]:
    """Languages present in a document's chunks, most frequent first."""
    from collections import Counter

    counts = Counter(detect_language(t) for t in texts if t.strip())
    return tuple(lang for lang, _ in counts.most_common())
