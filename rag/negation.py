"""Whether a translation keeps its source's negation.

The default model drops negations when it translates, and the sentence then says the opposite with
every name kept and its embedding close to its source's, so neither ``rag.checks.lost_terms`` nor the
translation floor sees it: "이는 종종 사람들에 의해 작성되며 크기가 작고 다양하지 않습니다." (hand-written
instruction data is small and not diverse) came back as "This is often written by people and is small and
varied.", "작업 크기만 증가하는 것만으로는 충분하지 않지만, …" as "The size of the work only increases, but …"
(probe set 15).

A source negates when it negates a verb ("다양하지 않", "할 수 없", "n'a pas", "cannot"); a translation keeps
that when it negates too, or says it with a word of its own ("unseen", "sans", "inexistant", "불충분").

Example:
    >>> drops_negation("이는 크기가 작고 다양하지 않습니다.", "ko", "This is small and varied.", "en")
    True
    >>> drops_negation("이는 크기가 작고 다양하지 않습니다.", "ko", "It is small and not diverse.", "en")
    False
    >>> drops_negation("LLM을 선택해야 할까요, 아니면 모델을 미세 조정해야 할까요?", "ko", "LLM or fine-tuning?", "en")
    False
"""

from __future__ import annotations

import re

# A verb negated, also where "-하지 않" contracts to "-치 않" ("원치 않는 행동", undesired behaviour, came back as "le
# comportement désirable"; probe set 20). Not "뿐만 아니라" (not only … but also), "아니면" (or), "아니라" (but rather),
# nor the adverbs built on 없다 ("끊임없이", ceaselessly; "상관없이", whatever). "아닙니다" is a syllable of its own.
_NEGATES = {
    "ko": r"[지치]\s*않|(?<!끊임)(?<!상관)(?<!관계)(?<!틀림)(?<!어김)없(?:[다는고어으이었습음게])|(?<!뿐만\s)(?<!뿐만)아니(?![라면])"
          r"|아닌|아닙|못(?:하|한|합|할|했|해)|불가능",
    "en": r"\b(?:not|no|never|cannot|without|neither|nor|none|nothing)\b|n['’]t\b",
    "fr": r"\b(?:ne|pas|jamais|aucune?|sans|ni|non|rien)\b|\bn['’]",
}
# A translation may say the negation with a word of its own: "unresolved", "training-free", "inexistantes",
# "l'insatisfaction", "à résoudre" (still to solve), "보이지 않는" as "unseen".
_SAYS_IT = {
    "ko": r"|불(?:충분|확실|안정|필요|명확|완전|일치|균형)|부족|결여|대신|미지|제외",
    "en": r"|\b(?:lacks?|lacking|fail(?:s|ed|ing)?|rather than|instead of|free|beyond|absent|absence|poorly|unless)\b"
          r"|\bun(?!der|i|til)[a-z]{3,}"
          r"|\b(?:in|im|ir|il|non-?)(?:ability|abl|adequa|appropriat|capab|complet|consisten|correct|dependen|effecti"
          r"|efficien|feasib|finite|possib|precis|predictab|sufficien|valid|visib|relevan|regular|responsib)\w*",
    "fr": r"|\b(?:plutôt que|au lieu de|manqu\w*|au-delà|mal|difficile\w*|à résoudre)\b"
          r"|\b(?:in|im|ir|il)(?:capab|connu|attendu|existan|satisf|suffisan|possib|prévu|prévisib|adapt|défini|exact|désir"
          r"|efficac|complet|correct|visib|résolu|stab)\w*",
}
_NEGATION = {lang: re.compile(pattern, re.IGNORECASE) for lang, pattern in _NEGATES.items()}
_KEEPS = {lang: re.compile(_NEGATES[lang] + said, re.IGNORECASE) for lang, said in _SAYS_IT.items()}
# A claim denied: a predicate negated, not a word negated ("non souhaitées", "예시 없이", "리소스가 거의 없는"
# describe something rather than deny what the sentence says), nor a negated modifier ("필터링되지 않은 데이터",
# unfiltered data), nor "not only". A source saying "not A but B" ("아니라", "rather than", "plutôt que") may be
# restated as a denial.
_DENIES = {
    "ko": re.compile(r"[지치]\s*(?:않(?!은|는(?!다)|을)|못(?!한|하는|할))|(?:수|필요가?|적이?)\s*없(?!는|은|이)"
                     r"|(?<!끊임)(?<!상관)(?<!관계)(?<!틀림)없(?:다|습니다|어요|었|음)|아닙니다|아니(?:다|에요|었)"),
    "en": re.compile(r"\b(?:not(?!\s+(?:only|just|merely|least)\b)|never|cannot|no longer)\b|n['’]t\b", re.IGNORECASE),
    "fr": re.compile(r"\b(?:ne|n['’])\s*(?:\S+\s+){0,2}?(?:pas|plus|jamais|rien|guère)\b", re.IGNORECASE),
}
_BUT_RATHER = re.compile(r"아니라|\brather\b|\binstead\b|\bplutôt\b|\bau lieu\b", re.IGNORECASE)


def negates(sentence: str, language: str) -> bool:
    """``sentence``, in ``language``, negates a verb."""
    pattern = _NEGATION.get(language)
    return bool(pattern and pattern.search(sentence))


def drops_negation(source: str, source_language: str, translation: str, language: str) -> bool:
    """``translation`` (into ``language``) of ``source`` negates nothing, although ``source`` does."""
    keeps = _KEEPS.get(language)
    # (or it keeps the source's own word: "Non applicable LLM : …" translated with its heading as written)
    return (keeps is not None and negates(source, source_language) and not keeps.search(translation)
            and not negates(translation, source_language))


def denies(sentence: str, language: str) -> bool:
    """``sentence``, in ``language``, denies what it says: a predicate negated ("does not improve", "n'améliore pas",
    "향상되지 않습니다"), not a word ("unfiltered", "non filtrées", "필터링되지 않은" are read by ``negates``).

    >>> denies("Training on filtered data does not improve performance.", "en")
    True
    >>> [denies(t, "fr") for t in ["Il n'améliore pas les performances.", "Des réponses non souhaitées."]]
    [True, False]
    """
    pattern = _DENIES.get(language)
    return bool(pattern and pattern.search(sentence))


def adds_negation(source: str, source_language: str, restated: str, language: str) -> bool:
    """``restated`` (in ``language``) denies what it says, and ``source`` (the sentence it rests on) negates nothing and
    says nothing "rather than" something else: the restatement says the opposite of its source."""
    if not denies(restated, language):
        return False
    keeps = _KEEPS.get(source_language)
    return not (negates(source, source_language) or denies(source, source_language)
                or (keeps is not None and keeps.search(source)) or _BUT_RATHER.search(source))
