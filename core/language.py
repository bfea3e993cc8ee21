"""Language detection restricted to the corpus languages (Korean, French, English).

Hangul is unambiguous, so script decides Korean; lingua separates French from
English. Mixed text ("LLM vs fine-tuned model pour NER ?") is judged by the
share of Hangul letters and then by lingua on the Latin part.

Example:
    >>> detect_language("디코더 전용 모델이 왜 주류가 되었나?")
    'ko'
    >>> detect_language("Quand faut-il distiller un modèle ?")
    'fr'
    >>> detect_language("GPT-NeoX-20B met l'attention et le feed-forward en parallele, ca sert a quoi ?")
    'fr'
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from core.text import HANGUL, LETTER

SUPPORTED = ("ko", "fr", "en")
LANGUAGE_NAMES = {"ko": "Korean", "fr": "French", "en": "English"}
NATIVE_NAMES = {"ko": "한국어", "fr": "français", "en": "English"}

# Words and letters that do not occur in English prose.
_FRENCH_MARKERS = re.compile(
    r"\b(?:les|des|du|une|est|pour|avec|dans|quel|quelle|quels|quelles|pourquoi|comment|"
    r"c'est|faut|sur|modèle|modèles|qui|que|cette|ces|aux|être|peut|lequel|laquelle)\b|[éèêëàâùûçôîïœ]",
    re.IGNORECASE,
)
# French written without accents, full of English terms ("GPT-NeoX-20B met l'attention et le feed-forward en
# parallele, ca sert a quoi ?": lingua said English, 0.83, and the answer came in English; dev set): function
# words English prose does not use, in lower case only ("Teven Le Scao et al." is English).
_UNACCENTED_FRENCH = re.compile(r"\b(?:le|la|et(?! al\b)|quoi|ça|ca|je|nous|vous|ne|pas|mais|sont|ou|donc|alors)\b")
_HANGUL_SHARE_FOR_KOREAN = 0.3
# Words of a language rather than names: lower-case Latin words ("et", "dev"; not "PaLM", "GPT-3") or Hangul ones.
_ORDINARY_WORD = re.compile(r"(?<![\w-])(?:[a-zà-ÿœ]{2,}(?:'[a-zà-ÿœ]+)?|[\uac00-\ud7a3]+)(?![\w-])")
_MIN_ORDINARY_WORDS = 3
# Languages a document label can name besides ko/fr/en (lingua names); any other text is "other".
_LABEL_LANGUAGES = (
    "KOREAN", "FRENCH", "ENGLISH", "GERMAN", "SPANISH", "ITALIAN", "PORTUGUESE", "DUTCH", "POLISH",
    "SWEDISH", "DANISH", "RUSSIAN", "UKRAINIAN", "GREEK", "TURKISH", "ARABIC", "PERSIAN", "HEBREW",
    "HINDI", "CHINESE", "JAPANESE", "VIETNAMESE", "INDONESIAN", "THAI",
)
_LABEL_MIN_LETTERS = 40
_LABEL_MIN_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.KOREAN, Language.FRENCH, Language.ENGLISH).build()


def hangul_share(text: str) -> float:
    letters = LETTER.findall(text)
    if not letters:
        return 0.0
    return sum(1 for ch in letters if HANGUL.match(ch)) / len(letters)


def hangul_word_share(text: str) -> float:
    """The share of Hangul among the letters of ``text``'s ordinary words (its names and figures left out); 0 when it
    has fewer than ``_MIN_ORDINARY_WORDS``. A Korean sentence naming many models is a third Hangul letters or less, but
    its ordinary words are all Korean.

    >>> text = "WizardLM (250k 지침에 대한 fine-tuned LLaMA)은 Vicuna와 Alpaca를 능가하며, WizardCoder는 Claude-Plus, Bard 등을 이긴다."
    >>> round(hangul_share(text), 2), hangul_word_share(text)
    (0.23, 1.0)
    >>> hangul_word_share("La distillation (정제) réduit la taille du modèle.")
    0.06
    """
    words = _ORDINARY_WORD.findall(text)
    if len(words) < _MIN_ORDINARY_WORDS:
        return 0.0
    return round(sum(len(w) for w in words if HANGUL.match(w)) / sum(len(w) for w in words), 2)


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
    if _FRENCH_MARKERS.search(latin) or len(_UNACCENTED_FRENCH.findall(latin)) >= 2:
        return "fr"
    return "en"


def reads_as(text: str, language: str) -> bool:
    """``text`` is in ``language``, or has too few ordinary words to be in any: names and figures
    ("GPT-3, OPT, PaLM et BLOOM", "PubMedQA: 77.6%"). Such replies, right answers, were rejected as
    written in another language on the dev set (3 of the 118 questions in run J)."""
    return len(_ORDINARY_WORD.findall(text)) < _MIN_ORDINARY_WORDS or detect_language(text, language) == language


@lru_cache(maxsize=1)
def _wide_detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*[getattr(Language, name) for name in _LABEL_LANGUAGES]).build()


def label_language(text: str, default: str = "en") -> str:
    """A document passage's language as an ISO 639-1 code, "other" when none of ``_LABEL_LANGUAGES``.

    For labels only (documents table, citations): questions are answered in ko, fr or en,
    decided by ``detect_language``, which this agrees with on those three. Another language is
    named only when lingua is confident on enough letters, so short English passages full of
    names are not relabelled.
    """
    code = detect_language(text, default)
    letters = LETTER.findall(text)
    if code == "ko" or HANGUL.search(text):
        return code
    # Latin-script text needs enough letters to tell German from English; another script
    # (Arabic, Cyrillic, Thai, ...) is named by lingua from a word or two.
    latin = sum(1 for ch in letters if ch < "\u0250") >= len(letters) / 2
    if latin and len(letters) < _LABEL_MIN_LETTERS:
        return code
    confidences = _wide_detector().compute_language_confidence_values(text)
    if not confidences or confidences[0].value == 0:  # a script none of the languages is written in
        return "other"
    best = confidences[0]
    found = best.language.iso_code_639_1.name.lower()
    if found in SUPPORTED or (latin and best.value < _LABEL_MIN_CONFIDENCE):
        return code
    return found


def document_languages(texts: list[str]) -> tuple[str, ...]:
    """Languages present in a document's chunks (as ``label_language`` names them), most frequent first."""
    counts = Counter(label_language(t) for t in texts if t.strip())
    return tuple(lang for lang, _ in counts.most_common())
