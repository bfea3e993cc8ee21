"""Whether a question asks under which licence something is released, and whether the answer names one.

The surveys list which licence each model has in tables the corpus does not hold, and name none in their text.
Asked "BLOOM, je peux l'utiliser dans un produit commercial ? c'est quelle licence exactement ?" (dev-084) and
"Pour LLaMA-2, c'est quelle licence exactement … ?" (probe set 10), the answers quoted what the passages say about
the model ("LLaMA-2: Cette tâche est centrée sur le développement de modèles LLaMA-2-Chat …") and the sentence
announcing the tables ("… le type de licence, le constructeur du modèle …"), cited, naming no licence. A licence
is asked for as a maker is (``rag.who``), and named by its name: an answer that names none is refused. The
pipeline reads the sentences that ask only (``rag.question.asking_sentences``): "Il me faut, pour chaque modèle, le
type de licence, … Dans quels tableaux la synthèse range-t-elle ces informations ?" asks which tables (probe set 19).

Example:
    >>> asks_licence("Pour LLaMA-2, c'est quelle licence exactement ?"), asks_licence("LLaMA-2 a combien de paramètres ?")
    (True, False)
    >>> names_a_licence("Il contient le type de licence et le constructeur du modèle. [4]")
    False
    >>> names_a_licence("BLOOM is released under the BigScience RAIL License. [1]")
    True
    >>> names_a_licence("LLaMA-2는 Llama 2 Community 라이선스로 공개되었습니다. [1]"), names_a_licence("라이선스 유형을 담고 있습니다. [1]")
    (True, False)
"""

from __future__ import annotations

import re

from core.text import strip_citation_markers

_ASKS_LICENCE = re.compile(r"\blicen[cs]e[sd]?\b|\blicen[cs]ing\b|라이[선센]스", re.IGNORECASE)
# A licence's name: the common open-source and open-model licences, a "… License" title, or a licence's terms of use.
_LICENCE_NAME = re.compile(
    r"\bApache\b|\bMIT\b|\bBSD\b|\b[AL]?GPL(?:v?\d)?\b|Creative\s+Commons|\bCC[- ]BY\b|\bCC0\b|\b(?:Open)?RAIL(?:-M)?\b"
    r"|\bMPL\b|\bCommunity\s+License\b|\b[A-Z][\w.-]*\s+License\b|\bLicence\s+[A-Z][\w.-]*|아파치"
    r"|[A-Za-z][\w.-]*\s*라이[선센]스"
    r"|\bnon[- ]commercial|research[- ]only|\bpublic\s+domain\b|domaine\s+public|비상업|연구\s*목적",
)


def asks_licence(question: str) -> bool:
    """The question asks which licence something is released under ("quelle licence", "what license", "라이선스")."""
    return bool(_ASKS_LICENCE.search(question))


def names_a_licence(answer: str) -> bool:
    """Some sentence of ``answer`` names a licence, or the terms of one ("Apache 2.0", "BigScience RAIL License",
    "non-commercial"); the word alone ("le type de licence") names none."""
    return bool(_LICENCE_NAME.search(strip_citation_markers(answer)))
