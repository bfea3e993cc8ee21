"""Whether a question asks who (a person, a company, an author), and whether the answer names anyone.

Asked who proposed or made something, the default model answered with what the thing is: "RMSNorm a été
proposé par RMSNorm." for "Qui a proposé RMSNorm ?", sentences about HyperCLOVA's architecture for
"HyperCLOVA는 어느 회사가 만든 모델이에요?" (probe set 3), each cited and none naming anyone. The documents
rarely name people; when they do, the answer writes the name. So an answer to "who" that names no one
the question does not already name is refused.

Example:
    >>> asks_who("Qui a proposé RMSNorm ?"), asks_who("Pour un assistant QA qui demande bcp de connaissances, LLM ?")
    (True, False)
    >>> names_someone("Qui a proposé RMSNorm ?", "RMSNorm a été proposé par RMSNorm. [1]")
    False
    >>> names_someone("Qui est le premier auteur de l'article ?", "Le premier auteur est Humza Naveed. [1]")
    True
"""

from __future__ import annotations

import re

from core.text import CITATION_MARKER, kiwi
from rag.answerability import term_occurs

_ASKS_WHO = re.compile(
    r"^\W*who\b|\bwho\s+(?:first\s+)?(?:proposed|invented|created|developed|introduced|wrote|built|designed|released"
    r"|published|made|authored|founded|shared|trained)\b"
    r"|\bwhich\s+(?:company|companies|lab|labs|organi[sz]ations?|institutions?|team|researchers?|authors?|person)\b"
    r"|^\W*qui\b|\bc['’]est\s+qui\b|\bpar\s+qui\b"
    r"|\bqui\s+(?:a|ont)\s+(?:\w+\s+)?(?:proposé|inventé|créé|développé|conçu|écrit|introduit|publié|fondé|relayé|partagé)"
    r"|\bquel(?:le)?s?\s+(?:entreprises?|sociétés?|organisations?|institutions?|équipes?|laboratoires?|auteurs?"
    r"|chercheu(?:r|se)s?|personnes?|personnalités?)\b"
    r"|누가|누구|(?:어느|어떤|어디)\s*(?:회사|기업|기관|연구소|연구팀|팀|대학)|저자",
    re.IGNORECASE | re.MULTILINE,
)
# A capitalised word opening a sentence, a clause after a colon, a quote or a bracket proves nothing.
_OPENING = re.compile(r"(?:^|[.!?:;«\"“(\[]|\]\s)\s*$")
# A person's or a company's name as Latin script writes it: "Naveed", "Meta", "Google"; "LeCun" after a
# first name. A word with more capitals ("RMSNorm", "LayerNorm", "GPT") names a model or a method.
_TITLE_WORD = re.compile(r"(?<![A-Za-z0-9-])[A-Z][a-z]{2,}(?![A-Za-z0-9-])")  # a Korean particle may follow
# Who wrote a text may be no one's name: "이 리뷰는 AI가 만들고, 인간 에디터가 검토했습니다." (probe set 3).
_MAKERS = re.compile(r"(?<![A-Za-z0-9-])(?:AI|IA)(?![A-Za-z0-9-])|\b(?:humans?|humains?|editors?|éditeurs?|rédacteurs?)\b"
                     r"|인공지능|인간|사람|에디터|편집자", re.IGNORECASE)
_SURNAME_AFTER_NAME = re.compile(r"(?<![A-Za-z0-9-])[A-Z][a-z]+\s+((?:Mc|Mac|Le|La|De|Di|Van|Von)?[A-Z][a-z]+)(?![A-Za-z0-9-])")


def asks_who(question: str) -> bool:
    """``question`` asks for a person, an author or an organisation (in Korean, French or English).

    >>> [asks_who(q) for q in ("HyperCLOVA는 어느 회사가 만든 모델이에요?", "C'est qui le premier auteur ?",
    ...                        "Which company released Gemini?", "LLM이 누구에게 더 유리해요?", "How big is PaLM?")]
    [True, True, True, True, False]
    """
    return bool(_ASKS_WHO.search(question))


def names_someone(question: str, answer: str) -> bool:
    """``answer`` names a person or an organisation that ``question`` does not name: a capitalised Latin word
    inside a sentence ("… est Meta.", "… par Yann LeCun"), a proper noun of Korean text ("네이버", "얀 르쿤"), or
    the kind of maker ("AI", "human editors").

    >>> names_someone("누가 쓴 리뷰예요? 사람이 직접 썼어요?", "이 리뷰는 AI가 만들고, 인간 에디터가 검토했습니다. [2]")
    True
    >>> names_someone("HyperCLOVA는 어느 회사가 만든 모델이에요?", "HyperCLOVA는 GPT-3 아키텍처를 사용한 한국어 언어 모델입니다. [1]")
    False
    """
    text = CITATION_MARKER.sub(" ", answer)
    names = [m.group() for m in _TITLE_WORD.finditer(text) if not _OPENING.search(text[: m.start()])]
    names += [m.group(1) for m in _SURNAME_AFTER_NAME.finditer(text)]
    # Not a language ("한국어", "영어"), which Kiwi also reads as a proper noun.
    names += [t.form for t in kiwi().tokenize(text) if t.tag == "NNP" and not t.form.endswith("어")]
    names += [m.group() for m in _MAKERS.finditer(text)]
    return any(name not in question and not (name.isascii() and term_occurs(name, question)) for name in names)
