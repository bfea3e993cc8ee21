"""The lead check: a reply that only restates the question, or copies an announcement, does not open the answer.

Asked "A or B?", the default model often restates the question as an assertion, and the restatement
picks an option with nothing behind it ("…je pars sur un modèle fine-tuné", where the evidence favours
the LLM); citation matching cannot see this, since the restatement is about what the passages are
about. The draft is asked again when it restates the question (rag.draft); when even the strict retry
does, the evidence sentences answer alone. A restatement opening with a yes or a no is kept: it is the
answer ("Oui, on peut utiliser un LLM comme évaluateur…"). Nor does a reply that copies an evidence
sentence announcing what follows it ("… des trois aspects suivants :"): the model was not shown the list.

Asking the model for the evidence's own yes or no was measured and not kept: over the two best evidence
sentences of the 29 dev questions whose reference answer starts with a yes or a no, it agreed with the
reference for 23 against 22 for always "yes", listed the other way round ("no or yes") it said "no" to
all 29, and in a full run it contradicted no lead (docs/EVALUATION.md).

Nor does a reply that says an evidence sentence without its negation (``rag.checks.drops_source_negation``), nor
one that denies what the passage sentence it rests on says (``rag.negation.adds_negation``).

Example:
    >>> lead_verdict("Pas forcément : les résultats peuvent être opposés.", "fr")
    'no'
    >>> question = "Pour un assistant QA généraliste, je pars sur un LLM ou un modèle fine-tuné ?"
    >>> lead_fault("Pour un assistant QA généraliste, je pars sur un modèle fine-tuné.", question, "fr")
    'restates the question'
    >>> lead_fault("Oui, on peut utiliser un LLM comme évaluateur.", "Peut-on utiliser un LLM comme évaluateur ?", "fr") is None
    True
"""

from __future__ import annotations

import logging
import re
from typing import Iterable, Literal, Sequence

from core.language import detect_language
from core.text import strip_citation_markers
from rag.checks import cited_sentences, comparable_text, drops_source_negation, is_echo, is_prose
from rag.negation import adds_negation, denies
from rag.evidence import dangles

log = logging.getLogger(__name__)

Verdict = Literal["yes", "no"]

# A sentence of a reply with fewer new words than this share of its own says the question again: "Pour un LLM
# spécialisé dans le juridique, il vaut mieux le pré-entraîner uniquement sur nos textes juridiques." (probe set 29)
# has one new word in 18. A sentence answering in the question's terms adds at least its answer: "… the two main
# components are a search engine and a language model." adds 3 of 15 (dev-010).
_RESTATED_SENTENCE_NEW_WORDS = 0.1
# "예:" or "Note :" copied into a lead says nothing about it; an announcement is a clause of a few words.
_ANNOUNCEMENT_WORDS = 3

# How a reply opens when it answers yes or no ("no" is tried first: "not necessarily" is no "yes").
_OPENINGS: dict[Verdict, dict[str, re.Pattern[str]]] = {
    "no": {
        "en": re.compile(r"(?:no|not (?:necessarily|always|really|quite)|probably not)\b"),
        "fr": re.compile(r"(?:non|pas (?:forcément|nécessairement|toujours|vraiment|du tout))\b"),
        "ko": re.compile(r"(?:아니요|아니오|아닙니다|아니에요)\b|(?:(?:꼭|반드시|항상)\s*)?그렇(?:지|진)(?:는)?\s*않"),
    },
    "yes": {
        "en": re.compile(r"(?:yes|indeed)\b"),
        "fr": re.compile(r"(?:oui|effectivement|tout à fait)\b"),
        "ko": re.compile(r"(?:네|예|그렇습니다|맞습니다|맞아요)\b"),
    },
}


# Words with which a reply offers its own guess. dev-112's "Oui, une archi qui cartonne en pré-entraînement +
# fine-tuning est probablement aussi bonne en zero-shot / few-shot." contradicts its evidence ("… 제로샷 및 퓨샷
# 학습에서는 상반된 행동을 보일 수 있습니다."); it was the only one of the 118 dev leads with such a word (run S3).
# "may"/"peut"/"수 있" are left out: the documents word their own claims so.
_HEDGES: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:probably|perhaps|maybe|presumably|I (?:think|believe|guess|suppose))\b", re.IGNORECASE),
    "fr": re.compile(r"\b(?:probablement|peut-être|sans doute|vraisemblablement|je (?:pense|crois|suppose))\b",
                     re.IGNORECASE),
    "ko": re.compile(r"아마|것\s*같(?:습니다|아요|다|네요)"),
}


def lead_verdict(text: str, language: str) -> Verdict | None:
    """The verdict the answer opens with, if it opens with one."""
    head = strip_citation_markers(text).strip().casefold()
    for verdict, openings in _OPENINGS.items():
        opening = openings.get(language)
        if opening and opening.match(head):
            return verdict
    return None


def lead_fault(lead: str, question: str, language: str, evidence: Iterable[str] = (),
               grounds: Sequence[tuple[str, str]] = ()) -> str | None:
    """Why the verified lead must not open the answer (None: it may), given the ``evidence`` sentences the
    model was shown and the ``grounds`` of its sentences (each with the passage sentence it rests on,
    ``rag.cite.CitedAnswer.grounds``)."""
    evidence = list(evidence)
    if guesses(lead, language):
        return "guesses"
    if is_echo(lead, question) and lead_verdict(lead, language) is None:
        return "restates the question"
    if copies_announcement(lead, evidence):
        return "copies an announcement without what it announces"
    # Not sentence by sentence as the invented-figure checks (rag.checks): a reply whose every sentence those drop
    # is refused, while the sentence here misread is in the evidence, which answers ("Transformer 기반 모델은 회색으로
    # 표시되지 않습니다." answered a question about the grey models once the lead saying the opposite was left out,
    # probe set 21).
    if any(drops_source_negation(strip_citation_markers(sentence), language, evidence)
           for sentence in cited_sentences(lead)):
        return "says an evidence sentence without its negation"
    if denies_its_ground(grounds, question, language):
        return "denies what the sentence it rests on says"
    return None


def denies_its_ground(grounds: Sequence[tuple[str, str]], question: str, language: str) -> bool:
    """A sentence denies what the passage sentence it rests on says, which negates nothing: the default model wrote
    "GLaM reports that training on filtered data does not improve performance, while LLaMA-2 reports that it
    improves performance. [2]", resting on GLaM's "필터링된 데이터로 훈련된 모델은 NLG 및 NLU 작업 모두에서 일관되게 더
    좋은 성능을 보여줍니다." (probe set 29). A sentence resting on a heading ("GPT-NeoX-20B") rests on nothing that could
    say it, and a question denying something ("Why does … not …?") may be answered in its terms.
    Over 269 answers (runs D62 and D63 on the dev set, probe sets 27-30), every sentence grounded as ``rag.cite`` does,
    this finds that lead and a translated quote ("n'hésitez pas à contacter …" for "… 문의하세요."), not a lead.

    >>> filtered = "필터링된 데이터로 훈련된 모델은 NLG 및 NLU 작업 모두에서 일관되게 더 좋은 성능을 보여줍니다."
    >>> denies_its_ground([("GLaM says filtered data does not improve performance.", filtered)], "What does GLaM say?", "en")
    True
    >>> denies_its_ground([("GLaM says filtered data improves performance.", filtered)], "What does GLaM say?", "en")
    False
    """
    if denies(question, language):
        return False
    return any(is_prose(source) and adds_negation(source, detect_language(source, language), sentence, language)
               for sentence, source in grounds)


def without_restatements(text: str, question: str, language: str) -> str:
    """``text`` without its sentences that say the question again, unless they open with a yes or a no (the answer:
    "Oui, on peut utiliser un LLM comme évaluateur …"). Asked "A or B?", such a sentence picks an option with nothing
    behind it: to "Vaut-il mieux le pré-entraîner uniquement sur nos textes juridiques, ou mélanger avec des données
    généralistes ?" the default model wrote "… il vaut mieux le pré-entraîner uniquement sur nos textes juridiques."
    before a sentence about BloombergGPT, whose mixed data say the other (probe set 29). Asked a question, it asserts
    the question ("… 해결됐다고 보나요."). A reply made only of such sentences is left to ``lead_fault``.

    >>> q = "Vaut-il mieux le pré-entraîner uniquement sur nos textes juridiques, ou mélanger avec des données ?"
    >>> without_restatements("Il vaut mieux le pré-entraîner uniquement sur nos textes juridiques. [3] BloombergGPT "
    ...                      "mélange des données financières et générales. [1]", q, "fr")
    'BloombergGPT mélange des données financières et générales. [1]'
    >>> without_restatements("Oui, il vaut mieux mélanger avec des données. [1] Voir BloombergGPT. [1]", q, "fr")
    'Oui, il vaut mieux mélanger avec des données. [1] Voir BloombergGPT. [1]'
    """
    sentences = cited_sentences(text)
    restated = [s for s in sentences
                if lead_verdict(s, language) is None and is_echo(s, question, _RESTATED_SENTENCE_NEW_WORDS)]
    if not restated or len(restated) == len(sentences):
        return text
    log.info("dropped from the reply, restating the question: %s", "; ".join(repr(s[:60]) for s in restated))
    return " ".join(s for s in sentences if s not in restated)


def guesses(lead: str, language: str) -> bool:
    """The lead hedges: it offers the model's own guess, which no citation can back.

    >>> guesses("Oui, elle est probablement aussi bonne en zero-shot. [2]", "fr")
    True
    >>> [guesses(t, "fr") for t in ["Pas forcément : les résultats peuvent être opposés.", "Sans aucun doute, oui."]]
    [False, False]
    >>> [guesses(t, "ko") for t in ["아마 더 나을 것입니다.", "상반된 행동을 보일 수 있습니다."]]
    [True, False]
    """
    hedge = _HEDGES.get(language)
    return bool(hedge and hedge.search(strip_citation_markers(lead)))


def copies_announcement(lead: str, evidence: Iterable[str]) -> bool:
    """The lead copies an evidence sentence that ends with a colon. What such a sentence announces stands on
    the lines after it in its document, which the model was not shown, so the lead goes on with something
    else: dev-109's "Les trois défis sont : 1. … 2. … 3. Les défis concrets … proviennent des trois aspects
    suivants : essentiellement, …" listed two unrelated evidence sentences as the challenges, and its 450
    characters left no room for the quote carrying the document's list (run S1: 0 of 3 facts; 3 of 3 with
    the evidence sentences answering alone). As a quote, such a sentence comes with its list or not at all
    (``rag.evidence.announced_items``, ``rag.evidence.dangles``).

    >>> announcement = "Les défis concrets proviennent des trois aspects suivants :"
    >>> copies_announcement("Les défis concrets proviennent des trois aspects suivants : le coût. [2]", [announcement])
    True
    >>> copies_announcement("Les défis concrets sont le bruit et les consignes. [2]", [announcement])
    False
    """
    said = comparable_text(lead)
    for sentence in evidence:
        if dangles(sentence):
            announced = comparable_text(sentence).rstrip(" :：")
            if len(announced.split()) >= _ANNOUNCEMENT_WORDS and announced in said:
                return True
    return False
