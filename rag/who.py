"""Whether a question asks who (a person, a company, an author, where a text was published) or which model, and
whether the answer names anyone, or the model.

Asked who proposed or made something, the default model answered with what the thing is: "RMSNorm a été
proposé par RMSNorm." for "Qui a proposé RMSNorm ?", sentences about HyperCLOVA's architecture for
"HyperCLOVA는 어느 회사가 만든 모델이에요?" (probe set 3), each cited and none naming anyone. The documents
rarely name people; when they do, the answer writes the name. So an answer to "who" that names no one
the question does not already name is refused, and so is one whose name the evidence does not give:
"Jurassic-1 a été développé par OpenAI." was answered, cited, from passages naming no maker (probe set 5).
Asked where a paper was published, which the documents never say, the answer quoted its abstract (probe set 6):
a venue is asked for as a maker is, and named as one, or as an acronym after "published in" ("… at ACL 2024").

Asked which model something uses or is built on, the answer must name that model beside what the question asks
about, as a sentence of the evidence does: to "Which LLM does PointClip V2 use to generate its 3D-specific prompts,
GPT-3, GPT-4 or something else?", of passages saying only that PointClip V2 uses "LLMs", the answer quoted that
sentence and another on GPT4Tools (probe set 8).

Example:
    >>> asks_who("Qui a proposé RMSNorm ?"), asks_who("Pour un assistant QA qui demande bcp de connaissances, LLM ?")
    (True, False)
    >>> names_someone("Qui a proposé RMSNorm ?", "RMSNorm a été proposé par RMSNorm. [1]", "RMSNorm은 …")
    False
    >>> names_someone("Qui est le premier auteur ?", "Le premier auteur est Humza Naveed. [1]", "훔자 나비드1, …")
    True
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Collection, Sequence

from core.text import CITATION_MARKER, kiwi, split_sentences, strip_citation_markers
from rag.acronyms import full_form
from rag.answerability import specific_terms, term_occurs
from rag.checks import entity_names

_ASKS_WHO = re.compile(
    # "Who is it written for?", as "for whom", asks for no one: "… survey actually written for?" is answered by
    # "practitioners and end-users" (probe set 14).
    r"^\W*who\b(?![^?\n]*\b(?:for|to|at)\W*\?)|\bwho\s+(?:first\s+)?(?:proposed|invented|created|developed|introduced|wrote|built|designed|released"
    r"|published|made|authored|founded|shared|trained)\b"
    r"|\bwhich\s+(?:company|companies|lab|labs|organi[sz]ations?|institutions?|team|researchers?|authors?|person"
    r"|conferences?|journals?|venues?|publishers?)\b"
    r"|^\W*qui\b|\bc['’]est\s+qui\b|\bpar\s+qui\b"
    r"|\bqui\s+(?:a|ont)\s+(?:\w+\s+)?(?:proposé|inventé|créé|développé|conçu|écrit|introduit|publié|fondé|relayé|partagé)"
    r"|\bquel(?:le)?s?\s+(?:entreprises?|sociétés?|organisations?|institutions?|équipes?|laboratoires?|auteurs?"
    r"|chercheu(?:r|se)s?|personnes?|personnalités?|conférences?|revues?|journal|journaux|éditeurs?)\b"
    # "누구한테 / 누구에게 / 누구를 위한" asks to or for whom, as "for whom" and "pour qui" do, which no one's name answers:
    # "이 가이드가 최종적으로 누구한테 뭘 주려는 거래요?" is answered by "researchers and practitioners" (probe set 10).
    r"|누가|누구(?!\s*(?:한테|에게|를\s*(?:위|대상)))"
    # The authors as the subject ("개요 논문 저자들은 … 뭐가 다르다고 해요?", probe set 12) ask for no one; their names do.
    r"|(?:어느|어떤|어디)\s*(?:회사|기업|기관|연구소|연구팀|팀|대학|학회|학술대회|컨퍼런스|저널|학술지|저자)"
    r"|(?:제\s*\d+|첫\s*번째|교신)\s*저자|저자\s*(?:이름|명단|목록)",
    re.IGNORECASE | re.MULTILINE,
)
# A venue named where an answer says a text was published: "published at ACL 2024", "publié dans TACL", "EMNLP에
# 게재되었습니다"; its name may be an acronym, which ``_TITLE_WORD`` does not read as a name.
_VENUE = re.compile(r"\b(?:published|presented|appeared|accepted)\s+(?:in|at)\s+(?:the\s+)?([A-Z][\w-]*)"
                    r"|\b(?:publiée?s?|présentée?s?|parue?s?|acceptée?s?)\s+(?:dans|à|au|lors\s+de)\s+(?:la\s+|le\s+|l['’])?"
                    r"([A-Z][\w-]*)|([A-Za-z][\w-]*)(?:\s*\d{4})?\s*에\s*(?:게재|발표|채택|출판)")
# A capitalised word opening a sentence, a clause after a colon, a quote or a bracket proves nothing.
_OPENING = re.compile(r"(?:^|[.!?:;«\"“(\[]|\]\s)\s*$")
# A person's or a company's name as Latin script writes it: "Naveed", "Meta", "Google"; "LeCun" after a
# first name. A word with more capitals ("RMSNorm", "LayerNorm", "GPT") names a model or a method.
_TITLE_WORD = re.compile(r"(?<![A-Za-z0-9-])[A-Z][a-z]{2,}(?![A-Za-z0-9-])")  # a Korean particle may follow
# Who wrote a text may be no one's name: "이 리뷰는 AI가 만들고, 인간 에디터가 검토했습니다." (probe set 3).
_MAKERS = re.compile(r"(?<![A-Za-z0-9-])(?:AI|IA)(?![A-Za-z0-9-])|\b(?:humans?|humains?|editors?|éditeurs?|rédacteurs?)\b"
                     r"|인공지능|인간|사람|에디터|편집자", re.IGNORECASE)
# Title-cased words an acronym abbreviates are a term, not a name: "Large Language Models (LLMs)".
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9-]{1,9})\)")
# How a name sounds, as its consonants: the documents write many names in Hangul ("훔자 나비드", "르쿤") that an
# answer in French or English writes in Latin script, and the other way round. Sounds Korean writes with one
# letter share a class ("v" is written ㅂ, "z" ㅈ, "l" and "r" ㄹ); vowels, "w", "y" and a silent ㅇ count for none.
_LATIN_SOUNDS = {**dict.fromkeys("bpfv", "P"), **dict.fromkeys("dt", "T"), **dict.fromkeys("gkcq", "K"),
                 **dict.fromkeys("lr", "R"), "m": "M", "n": "N", "s": "S", "x": "KS", **dict.fromkeys("zj", "J"),
                 "h": "H"}
_INITIAL_SOUNDS = "KKNTTRMPPSS JJJKTPH"  # ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ
_FINAL_SOUNDS = " KKKNNNTRRRRRRRRMPPSSNJJKTPH"  # none, ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ
_MIN_SOUNDS = 3  # two consonants match too many words by chance ("Meta" sounds as "모두", "all", does)
_SURNAME_AFTER_NAME = re.compile(r"(?<![A-Za-z0-9-])[A-Z][a-z]+\s+((?:Mc|Mac|Le|La|De|Di|Van|Von)?[A-Z][a-z]+)(?![A-Za-z0-9-])")


# Which model something uses or is built on ("Which LLM does PointClip V2 use", "built on top of which base model",
# "c'est basé sur quel modèle ?", "어떤 모델을 썼어요?"); not which model to choose ("어떤 모델을 우선해야 돼?").
_ASKS_WHICH_MODEL = re.compile(
    r"\bwhich\s+(?:base\s+|underlying\s+|backbone\s+|pre-?trained\s+)?(?:LLM|model)\s+(?:does|did|is|was)\b"
    r"|\bwhat\s+(?:base|underlying|backbone)\s+(?:LLM|model)\b"
    r"|\b(?:built|based|trained|fine-?tuned)\s+(?:on\s+top\s+of|on|from)\s+(?:which|what)\b"
    r"|\b(?:basée?s?|construite?s?|fondée?s?|entraînée?s?|affinée?s?|s['’]appuie|reposent|repose)\s+sur\s+quel(?:le)?\s+"
    r"(?:LLM|modèle)\b"
    r"|\bquel(?:le)?\s+(?:LLM|modèle)\s+(?:de\s+base\s+)?(?:utilise|a\s+utilisé|ont\s+utilisé|emploie|précisément)\b"
    r"|\bc['’](?:est|était)\s+quel(?:le)?\s+(?:LLM|modèle)\b"
    r"|(?:어떤|어느|무슨)\s*(?:AI\s*|베이스\s*|기반\s*)?(?:LLM|모델)(?:을|를|이|에|으로|로)?\s*"
    r"(?:썼|사용했|사용해|쓰|써|기반|바탕|파인튜닝|미세\s*조정|생성|만들|만든)"
    # The model's name asked for: "… 캐시할 때 사용한 LLM의 정확한 모델명이 뭔가요?" was answered with the page's sentences on
    # retrieval, none naming a model (probe set 22).
    r"|(?:LLM|모델)\s*(?:의\s*)?(?:정확한\s*)?(?:이름|명)(?:이|은|는|을|를)?\s*(?:뭐|무엇|어떻게|알려)|모델명"
    r"|\bname\s+of\s+(?:the|that|this)\s+(?:[\w-]+\s+)?(?:LLM|model)\b|\b(?:LLM|model)(?:['’]s)?\s+name\b"
    r"|\bwhat\s+(?:is|was)\s+(?:the|that|this)\s+(?:[\w-]+\s+)?(?:LLM|model)\s+called\b"
    r"|\bnom\s+(?:exact\s+|précis\s+)?(?:du|de\s+ce)\s+(?:LLM|modèle)\b",
    re.IGNORECASE,
)


def asks_which_model(question: str) -> bool:
    """``question`` asks which model something uses, or is built or trained on.

    >>> [asks_which_model(q) for q in ("Tk-Instruct, c'est basé sur quel modèle ?", "Which LLM does PointClip V2 use?",
    ...                                 "비용에 민감한 서비스면 어떤 모델을 우선해야 돼?", "Quel modèle choisir pour la NER ?")]
    [True, True, False, False]
    """
    return bool(_ASKS_WHICH_MODEL.search(question))


def names_the_model(question: str, answer: str, evidence: Sequence[str], names: Collection[str] = ()) -> bool:
    """A sentence of ``answer`` (or it and the sentence before it) names something ``question`` names (``names``: the
    words opening a sentence of it that name something, ``rag.answerability.written_as_names``) beside another name,
    and a sentence of ``evidence`` names both: the model asked for, with what it serves.

    >>> q = "Which LLM does PointClip V2 use to generate its 3D-specific prompts, GPT-3, GPT-4 or something else?"
    >>> names_the_model(q, "PointClip V2 uses LLMs to generate 3D prompts. [1] GPT4Tools uses LoRA. [2]",
    ...                 ["PointClip V2는 LLM을 사용하여 3D 프롬프트를 생성합니다.", "GPT4Tools는 LoRA를 사용합니다."])
    False
    >>> names_the_model("Tk-Instruct, c'est basé sur quel modèle ?", "Tk-Instruct affine T5. [1]", ["Tk-INSTRUCT: T5를 세부 조정합니다."])
    True
    """
    terms = specific_terms(question, names)
    sentences = [strip_citation_markers(answer[s.start:s.end]) for s in split_sentences(answer)]
    for before, sentence in zip(["", *sentences], sentences):
        # A name opening the sentence is no entity name there ("Gorilla was trained using the LLaMA model."): the
        # question's terms are looked for as they are.
        asked = [t for t in terms if term_occurs(t, sentence) or term_occurs(t, before)]
        named = entity_names(sentence) if asked else []
        for a in asked:
            others = [n for n in named if not term_occurs(a, n) and not term_occurs(n, a)]
            if any(term_occurs(a, e) and term_occurs(n, e) for n in others for e in evidence):
                return True
    return False


def asks_who(question: str) -> bool:
    """``question`` asks for a person, an author or an organisation (in Korean, French or English).

    >>> [asks_who(q) for q in ("HyperCLOVA는 어느 회사가 만든 모델이에요?", "C'est qui le premier auteur ?",
    ...                        "Which company released Gemini?", "그 리뷰는 누가 썼어요?", "How big is PaLM?")]
    [True, True, True, True, False]

    To or for whom asks for no one ("누구에게 더 유리해요?" is answered by a kind of user):

    >>> asks_who("LLM이 누구에게 더 유리해요?"), asks_who("Who is the survey written for?")
    (False, False)
    """
    return bool(_ASKS_WHO.search(question))


def names_someone(question: str, answer: str, evidence: str) -> bool:
    """``answer`` names a person or an organisation that ``question`` does not name and ``evidence`` (the text
    the answer was drawn from) does, in either script: a capitalised Latin word inside a sentence ("… est
    Meta.", "… par Yann LeCun"), a proper noun of Korean text ("네이버", "얀 르쿤"), or the kind of maker ("AI",
    "human editors").

    >>> names_someone("누가 쓴 리뷰예요? 사람이 직접 썼어요?", "이 리뷰는 AI가 만들고, 인간 에디터가 검토했습니다. [2]", "")
    True
    >>> names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 GPT-3 아키텍처를 사용한 한국어 언어 모델입니다. [1]",
    ...               "HyperCLOVA [112]: GPT-3 아키텍처를 사용한 한국어 언어 모델입니다.")
    False
    >>> names_someone("Qui a développé Jurassic-1 ?", "Jurassic-1 a été développé par Internet. [1]", "인터넷에서 수집한 …")
    False
    >>> names_someone("Qui a écrit le guide ?", "Le guide parle des Large Language Models (LLMs). [1]", "Large Language Models (LLMs)")
    False
    """
    text = _without_acronym_full_forms(CITATION_MARKER.sub(" ", answer))
    names = [m.group() for m in _TITLE_WORD.finditer(text) if not _OPENING.search(text[: m.start()])]
    names += [m.group(1) for m in _SURNAME_AFTER_NAME.finditer(text)]
    names += [next(g for g in m.groups() if g) for m in _VENUE.finditer(text)]
    # Not a language ("한국어", "영어"), which Kiwi also reads as a proper noun.
    names += [t.form for t in kiwi().tokenize(_about_the_asked(question, text)) if t.tag == "NNP" and not t.form.endswith("어")]
    new = [name for name in names if name not in question and not (name.isascii() and term_occurs(name, question))]
    # The kind of maker is said in the asker's words, as the evidence may not say it ("AI" for "인공지능").
    makers = [m.group() for m in _MAKERS.finditer(text) if m.group() not in question]
    return bool(makers) or any(_gives(evidence, name) for name in new)


def _about_the_asked(question: str, answer: str) -> str:
    """The sentences of ``answer`` that name what ``question`` asks about, when some do (else all of it): Kiwi reads
    loanwords as proper nouns too ("퓨샷", few-shot), and to "HyperCLOVA는 어느 회사가 만든 모델이에요?" an answer
    whose first sentence named no maker went on with Jurassic-1's "퓨샷 학습 작업에서 …" (probe set 3).

    >>> _about_the_asked("HyperCLOVA는 누가 만들었어요?", "HyperCLOVA는 한국어 모델입니다. Jurassic-1은 퓨샷에 강합니다.")
    'HyperCLOVA는 한국어 모델입니다.'
    """
    terms = specific_terms(question)
    sentences = [answer[s.start:s.end] for s in split_sentences(answer)]
    about = [s for s in sentences if any(term_occurs(t, s) if t.isascii() else t in s for t in terms)]
    return " ".join(about) if about else answer


def _without_acronym_full_forms(text: str) -> str:
    for m in reversed(list(_ACRONYM.finditer(text))):
        words = full_form(text[: m.start()], m.group(1))
        start = text.rfind(words, 0, m.start()) if words else -1
        if start >= 0:  # (not found when the full form's words were spaced otherwise)
            text = text[:start] + " " * len(words) + text[start + len(words):]
    return text


def _gives(evidence: str, name: str) -> bool:
    """``evidence`` writes ``name``, or a word that sounds like it in the other script ("나비드" for "Naveed").

    >>> _gives("훔자 나비드1, 아사드 울라 칸1", "Naveed"), _gives("그들의 기사도 Yann LeCun에 의해 리트윗되었습니다.", "르쿤")
    (True, True)
    >>> _gives("1.8 HyperCLOVA [112]: GPT-3 아키텍처를 사용한 한국어 언어 모델입니다.", "OpenAI")
    False
    """
    if name in evidence or (name.isascii() and term_occurs(name, evidence)):
        return True
    sounds = {_sounds(part) for part in name.split()}  # Kiwi reads "얀 르쿤" as one name
    return any(len(s) >= _MIN_SOUNDS and s in _heard(evidence) for s in sounds)


@lru_cache(maxsize=4)
def _heard(evidence: str) -> frozenset[str]:
    """The sounds (``_sounds``) of every Latin word and noun of ``evidence``, read once for all the answer's names."""
    words = re.findall(r"[A-Za-z]+", evidence) + [t.form for t in kiwi().tokenize(evidence) if t.tag.startswith("NN")]
    return frozenset(_sounds(part) for word in words for part in word.split())


def _sounds(word: str) -> str:
    """The consonant sounds of a Latin or Hangul word, as classes (``_LATIN_SOUNDS``), a repeated one once.

    >>> _sounds("Naveed"), _sounds("나비드"), _sounds("LeCun"), _sounds("르쿤"), _sounds("Amazon"), _sounds("아마존")
    ('NPT', 'NPT', 'RKN', 'RKN', 'MJN', 'MJN')
    """
    out = []
    for ch in word.casefold():
        if "가" <= ch <= "힣":
            code = ord(ch) - ord("가")
            out += [_INITIAL_SOUNDS[code // 588], _FINAL_SOUNDS[code % 28]]
        else:
            out.append(_LATIN_SOUNDS.get(ch, " "))
    letters = [c for c in "".join(out) if c != " "]
    return "".join(c for i, c in enumerate(letters) if i == 0 or c != letters[i - 1])
