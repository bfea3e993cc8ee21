"""Text helpers shared by ingestion and answering: sentence splitting (Kiwi, plus a splitter for
Latin-script prose), heading detection, a token estimate, and the one pattern each for Hangul,
citation markers and invisible control characters.

Example:
    >>> [text[s.start:s.end] for text in ["Il apprend vite. C'est utile."] for s in split_sentences(text)]
    ['Il apprend vite.', "C'est utile."]
    >>> strip_citation_markers("Distillation shrinks models [2].")
    'Distillation shrinks models.'
    >>> one_line("a\\n  long   line", 8)
    'a long …'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Hangul syllables and jamo (conjoining and compatibility).
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# A citation marker as the answers carry them: "[1]" .. "[99]"; group 1 is the number.
CITATION_MARKER = re.compile(r"\[(\d{1,2})\]")
_SPACED_MARKER = re.compile(r"\s*" + CITATION_MARKER.pattern)
# Control and zero-width characters (tab, line feed and carriage return are kept).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")
LETTER = re.compile(r"[^\W\d_]")
_HANGUL_SYLLABLES = re.compile(r"[\uac00-\ud7a3]+")

LATIN_CHARS_PER_TOKEN = 3.6  # Hangul costs more per character (0.95 tokens)
_NUMBERED_HEADING = re.compile(r"^(?:[IVX]+\.|\d+(?:\.\d+)*\.?|[A-Z]\.)\s+\S")
_SENTENCE_END = re.compile(r"[.!?。…:;,)\]]$")
_HEADING_MAX_CHARS = 80


def estimate_tokens(text: str) -> int:
    """Rough LLM token count: Hangul syllables cost about one token, Latin text about 1 per 3.6 chars."""
    hangul = len(HANGUL.findall(text))
    return int(hangul * 0.95 + (len(text) - hangul) / LATIN_CHARS_PER_TOKEN) + 1


def spelled_out(text: str) -> str:
    """``text`` with each Hangul syllable written as the two or three letters (jamo) it is made of, so that a
    count of letters means the same in Korean as in Latin script: "기억합니다" is 5 syllables and 12 letters.

    >>> len(LETTER.findall(spelled_out("기억합니다"))), len(spelled_out("GPT-3 기억"))
    (12, 11)
    """
    return _HANGUL_SYLLABLES.sub(lambda m: unicodedata.normalize("NFD", m.group()), text)


@lru_cache(maxsize=1)
def kiwi():
    """The process's one Kiwi analyser (sentence splitting here, keyword tokens in rag.keywords):
    each instance holds about 0.4 GB of dictionaries and models."""
    from kiwipiepy import Kiwi

    return Kiwi()


@dataclass(frozen=True)
class Span:
    start: int
    end: int


# A sentence end followed by the start of another sentence. Kiwi splits Korean well but
# leaves Latin-script prose ("Il apprend vite. C'est ...") as one long "sentence".
_LATIN_END = re.compile(
    r"[.!?…]+(?:[\s\u00a0\u202f]?[\"'»”’)\]])*(?=\s+(?:[\"'«“‘(\[][\s\u00a0\u202f]?)?[A-ZÀ-ÖØ-Þ0-9\uac00-\ud7a3])"
)
_LAST_WORD = re.compile(r"(\S+)$")
_WORD_WINDOW = 40
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")  # e.g, i.e, U.S
_ABBREVIATIONS = frozenset(
    "al approx cf ch chap dr eq eqs etc ex fig figs mme mr mrs ms no nos p pp réf ref refs resp sec st tab vol vs".split()
)


# Kiwi's time grows with the square of a run of characters without whitespace (a base64
# blob, a minified line: 1 MB took over 20 minutes), so such runs never reach it: each
# becomes a "sentence" of its own, which chunking then cuts to size.
_LONG_RUN = re.compile(r"\S{200,}")


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans of ``text`` (offsets shifted by ``offset``)."""
    spans, pos = [], 0
    for m in _LONG_RUN.finditer(text):
        spans.extend(_split_prose(text[pos : m.start()], offset + pos))
        spans.append(Span(offset + m.start(), offset + m.end()))
        pos = m.end()
    spans.extend(_split_prose(text[pos:] if pos else text, offset + pos))
    return spans


def _split_prose(text: str, offset: int) -> list[Span]:
    spans = []
    for sent in kiwi().split_into_sents(text):
        start, end = sent.start, sent.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        for a, b in _split_latin(text, start, end):
            spans.append(Span(offset + a, offset + b))
    return spans


def _split_latin(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` after sentence-final punctuation that Kiwi did not split at."""
    pieces = []
    for m in _LATIN_END.finditer(text, start, end):
        # Only the last few characters matter (abbreviations are short); scanning back to
        # ``start`` made a paragraph of skipped abbreviations ("Fig. 1. Fig. 2. ...") quadratic.
        word = _LAST_WORD.search(text, max(start, m.start() - _WORD_WINDOW), m.start())
        token = word.group(1).lstrip("([\"'«“").lower() if word else ""
        if token in _ABBREVIATIONS or _INITIALISM.match(token) or (len(token) == 1 and token.isalpha()):
            continue
        if token.isdigit() and len(token) <= 2:  # "1. Introduction", list numbers
            continue
        pieces.append((start, m.end()))
        start = m.end()
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def is_heading(paragraph: str) -> bool:
    """A one-line paragraph that reads like a section title."""
    line = paragraph.strip()
    if "\n" in line or not (2 <= len(line) <= _HEADING_MAX_CHARS):
        return False
    if line.startswith(("#",)):
        return True
    if line.startswith(("•", "-", "*", "(", "[")) or _SENTENCE_END.search(line):
        return False
    return bool(_NUMBERED_HEADING.match(line)) or len(line.split()) <= 10



# A line that a fixed-width layout cut mid-sentence (a PDF's lines, or text copied from one): the Korean
# overview's "레드팀/제재/적대적 공격: LLM은" / "적대적 탐사를 통해 유해한 행동, …". Read as paragraphs of their
# own, such lines became sentences ("레드팀은") and section headings (a line of at most ten words without a
# sentence end), and the evidence sentence an answer quoted was half of one.
_WRAP_MIN_WORDS = 3  # a line cut by the layout is a full line; "peach: drupe" / "apple: ____" is a list
_LINE_END = re.compile(r"[.!?。:;…][\"'”’»)\]]*$")
_ITEM_START = re.compile(r"(?:[•▪◦·*–-]\s|\(?\d+[.)]\s|[a-zA-Z][.)]\s|#)")
# Kiwi's tags of a last word that leaves its sentence unfinished (a particle, a connective or adnominal
# ending, a conjunction), and of a first word that cannot start one (a particle, an ending or suffix: a word
# cut in two).
_UNFINISHED_TAGS = ("J", "EC", "ETM", "MAJ")
_CONTINUING_TAGS = ("J", "E", "XS", "MAJ")
_CONJUNCTIONS = ("및",)  # tagged as an adverb (MAG)
# The infinitive ending "-어/-아/-여" ends a sentence as often as it joins two clauses; Kiwi tags it final (EF) at a
# line's end. Without a full stop it was cut: "이들은 로봇이 자연어를 이해하고 생성할 수 있게 해주어" / "지시 따르기, …"
# became two sentences, and the evidence quoted the first, which says nothing of what LLMs help with (probe set 26).
_OPEN_ENDINGS = ("어", "아", "여")


def wraps_into(line: str, next_line: str) -> bool:
    """``line`` stops mid-sentence and ``next_line`` goes on with it: one paragraph, not two.

    >>> wraps_into("레드팀/제재/적대적 공격: LLM은", "적대적 탐사를 통해 유해한 행동을 나타냅니다.")
    True
    >>> wraps_into("discuss the limitations of our approach and suggest", "potential directions for future research")
    True
    >>> [wraps_into("The model is small.", "it works"), wraps_into("4.6 Real-world tasks", "The term is used loosely.")]
    [False, False]
    >>> wraps_into("모델이 직면한 실제 과제는 다음에서 비롯됩니다:", "• 시끄럽고 구조화되지 않은 입력.")
    False
    >>> [wraps_into("로봇이 자연어를 이해하고 생성할 수 있게 해주어", "지시 따르기에 도움이 됩니다."),
    ...  wraps_into("프롬프트 엔지니어링을 많이 수행할수록 더 커지고 있습니다", "프롬프트 엔지니어링은 …")]
    [True, False]
    """
    line, next_line = line.strip(), next_line.strip()
    if len(line.split()) < _WRAP_MIN_WORDS or not next_line or _LINE_END.search(line) or _ITEM_START.match(next_line):
        return False
    if line.endswith(",") or next_line[0].islower():
        return True
    if HANGUL.match(line[-1]):
        last = kiwi().tokenize(line)[-1]
        if (last.tag.startswith(_UNFINISHED_TAGS) or last.form in _CONJUNCTIONS
                or (last.tag == "EF" and last.form in _OPEN_ENDINGS)):
            return True
    if HANGUL.match(next_line[0]):
        first = kiwi().tokenize(next_line)[0]
        return first.tag.startswith(_CONTINUING_TAGS) or first.form in _CONJUNCTIONS
    return False


# A sentence that opens by pointing back at the one before it: a demonstrative ("이는 …", "This …",
# "Cela …"), "that is" or "for example", or a contrast or consequence. Its predecessor says less without it.
# A list item ("(3) Il est recommandé …", "• …") is the next point, not a continuation, and neither is an
# impersonal "Il est …"/"Il existe …".
_REFERS_BACK = re.compile(
    r"^(?:"
    r"(?:(?:이|그)(?:[은는을를의와에로]|로써|로서|에서|러한|런)?|여기에는|여기서|즉|따라서|그러나|하지만|그래서|그러므로|그럼에도|반면에?"
    r"|예를 들어|예를 들면|예컨대)(?=[\s,])"
    r"|(?:This|These|That|Those|It|Its|They|Their|Such|Thus|Therefore|Hence|However|But|That is|In other words"
    r"|For example|For instance|As an example|To give (?:a few |some |an )?examples?"
    r"|Ce|Cet|Cette|Ces|Cela|Ceci|Ça|Elle|Ils|Elles|Ainsi|Donc|Cependant|Toutefois"
    r"|Mais|Autrement dit|Par exemple|Pour donner (?:quelques |des |un )?exemples?|À titre d['’]exemple|En effet)\b"
    r"|C['’]est|I\.e\.|Il(?!\s+(?:est|existe|faut|y\s+a|s['’]agit)\b)\b)")

# A determiner that names what was said before ("이러한 문제", "these issues", "ces problèmes"), among a sentence's
# first words. "this"/"ce" are left out: "In this paper" or "ce qui" point at nothing before.
_DEMONSTRATIVE = re.compile(r"(?:^|\s)(?:이러한|그러한|이런|그런|이와 같은|these|such(?!\s+as\b)|ces|de tels|de telles)\s", re.IGNORECASE)
_POINTER_WORDS = 6
# A demonstrative before the document or a part of it ("This comprehensive guide aims …", "이 섹션에서는 …",
# "Cette section …") points at the text, not at the sentence before: quoted after the abstract's "… impact of spurious
# biases on LLMs …", "This comprehensive guide aims to provide …" took the room of dev-048's quotes (run W2). Not a
# study ("이 연구는 … 1000 단계의 세밀 조정이 충분하다는 것을 보여줍니다." goes on about the work [45] just cited).
_POINTS_AT_TEXT = re.compile(
    r"^(?:(?:This|These)\s+(?:\w+\s+){0,2}?(?:paper|survey|guide|article|section|subsection|chapter|overview|review)s?\b"
    r"|(?:Ce|Cet|Cette|Ces)\s+(?:\w+\s+){0,2}?(?:article|guide|section|sous-section|chapitre|document|papier)s?\b"
    r"|(?:이|본)\s+(?:논문|서베이|가이드|섹션|하위\s*섹션|장|글|문서|기사)(?=\s|[은는의을를에이가]))", re.IGNORECASE)
# What opens an item of a list: a bullet, or "a)", "2." or "(2)". Not "1.19 PaLM" (a section number) nor "-5%".
ITEM_OPENING = re.compile(r"^\s*(?:[•▪◦·*–-]|[a-z]\)|\(?\d{1,2}[.)])\s+")


def without_item_opening(sentence: str) -> str:
    """``sentence`` without the bullet or number that opens it as an item of a list: in the running prose of an
    answer, "(2)" numbers nothing (22 of run T3's 118 answers showed one, "(2) LLM est doué pour imiter …",
    "• 미세 조정 중 …", "5. Efficacité de l'exemple : …").

    >>> [without_item_opening(s) for s in ["(2) LLM est doué.", "• 5% 정도입니다.", "e) Le modèle …", "1.19 PaLM [15]: …"]]
    ['LLM est doué.', '5% 정도입니다.', 'Le modèle …', '1.19 PaLM [15]: …']
    """
    return ITEM_OPENING.sub("", sentence, count=1)


def is_figure(token: str) -> bool:
    """``token`` (a word or name as the checks cut them) states a quantity: it opens with a digit and is more
    than one character; a lone digit numbers a figure or a list item.

    >>> [is_figure(t) for t in ["20b", "2.4", "175B", "9", "gpt-3"]]
    [True, True, True, False, False]
    """
    return token[:1].isdigit() and len(token) > 1


def refers_back(sentence: str) -> bool:
    """``sentence`` opens by pointing back at the sentence before it.

    >>> [refers_back(s) for s in ["이를 통해 처리량이 15% 증가합니다.", "However, small models lag.", "이미지 모델은 …"]]
    [True, True, False]
    >>> [refers_back(s) for s in ["Il a réussi.", "Il est recommandé de choisir …", "(3) Cela dépend.", "즉시 답합니다."]]
    [True, False, False, False]

    "Here" points back at what was just said ("여기에는 해석 가능성, … 포함됩니다." after "… 실질적인 연구가 필요합니다."),
    "here" as a topic at the part of the text it opens ("여기서는 …", "여기에서는 … 요약을 제공합니다."):

    >>> [refers_back(s) for s in ["여기에는 해석 가능성이 포함됩니다.", "여기서 x는 입력입니다.", "여기에서는 요약을 제공합니다."]]
    [True, True, False]
    >>> [refers_back(s) for s in ["Pour donner quelques exemples, LLM imite …", "To give an example, …", "예를 들면 …"]]
    [True, True, True]

    Or names what the sentence before it spoke of with a demonstrative among its first words ("인간 피드백과
    같은 방법은 이러한 문제를 완화할 것을 약속합니다." after the harms of biased output, dev set):

    >>> [refers_back(s) for s in ["Human feedback can mitigate these issues.", "Methods such as RLHF help.", "In this paper, we …"]]
    [True, False, False]

    Not when it points at the document or a part of it:

    >>> [refers_back(s) for s in ["This comprehensive guide aims to help.", "이 섹션에서는 세부 조정을 논의합니다.", "이 연구는 1000 단계면 충분함을 보여줍니다.", "이 장점은 큽니다."]]
    [False, False, True, True]
    """
    line = sentence.strip()
    if _POINTS_AT_TEXT.match(line):
        return False
    if _REFERS_BACK.match(line):
        return True
    opening = " ".join(line.split()[:_POINTER_WORDS])
    return bool(_DEMONSTRATIVE.search(opening)) and not ITEM_OPENING.match(line)


# Kiwi's tags of a predicate: verbs, adjectives, copulas, their derivations, auxiliaries, final endings.
_PREDICATE_TAGS = ("VV", "VA", "VCP", "VCN", "XSV", "XSA", "VX", "EF")
# Behind what a web page's layout left before it ("# 🎜🎜# Figure 1 : Cet arbre évolutif …"), not a parenthesis.
_FIGURE_LABEL = r"^[^\w(\[]*(?:그림|표|Figure|Fig\.|Table|Tableau)\s*\d+(?:\.\d+)*"
# The label closed by a colon or a full stop (a caption), or the figure as what the sentence speaks of: "그림 1은 …
# 보여줍니다", "표 1에는 …", "Figure 2 shows …".
_CAPTION = re.compile(
    _FIGURE_LABEL + r"(?:\s*(?:[:：.]|$)|(?:은|는|이|가|에는|에서는)(?![가-힣])"
    r"|\s+(?:shows?|illustrates?|summari[sz]es|presents?|depicts?|lists?|compares?|gives?|montre|présente|illustre"
    r"|résume|compare|donne|indique)\b)", re.IGNORECASE)


def is_caption(sentence: str) -> bool:
    """``sentence`` is a figure's or a table's caption ("그림 9: …", "Tableau 1 : …"), or says what one shows ("그림
    1은 언어 모델의 발전 과정을 자세히 보여줍니다."): the answer cannot show the figure.

    >>> [is_caption(s) for s in ["Tableau 1 : Modèle encodeur-décodeur", "# 🎜🎜# Figure 1 : Cet arbre évolutif …",
    ...                          "그림 9: BLOOM 아키텍처 예시.", "(Figure 3) shows it.", "Table stakes are high."]]
    [True, True, True, False, False]
    >>> [is_caption(s) for s in ["그림 1은 언어 모델의 발전 과정을 자세히 보여줍니다.", "표 1에는 특징이 요약되어 있습니다.",
    ...                          "Figure 2 shows the decision flow.", "Figure 13에 표시된 파이프라인을 따라 LLM은 … 응답합니다."]]
    [True, True, True, False]

    A sentence that only says where something is drawn speaks of that thing: probe7-025's answer, "LLM은 일반적으로
    계획 → 도구 선택 → 실행 → 검사 → 생성의 순서로 …", is "Figure 13에 표시된 파이프라인을 따라 …".
    """
    return bool(_CAPTION.match(sentence.strip()))


def completes_korean(sentence: str) -> bool:
    """``sentence`` is a Korean clause without a predicate that ends like a sentence: the items a sentence
    before it announced ("사전 훈련, 세부 조정 및 프롬프팅." after "… 세 가지로 나뉠 수 있습니다."), or the
    rest of a sentence a stray break cut ("및 훈련 데이터셋(여러 GB 및 TB) [10], [11]."). Not a figure's
    caption, nor a lone word: the overview's "노동." stands between two paragraphs, debris of its layout, and was
    quoted after the sentence before it ("… collaborative tasks. Labor.", probe sets 9 and 11). Kiwi reads Korean
    only; Latin-script prose has no such test here.

    >>> [completes_korean(s) for s in ["사전 훈련, 세부 조정 및 프롬프팅.", "세 가지로 나뉩니다.", "그림 12: 흐름도.", "노동."]]
    [True, False, False, False]
    """
    line = sentence.strip()
    if not HANGUL.search(line) or not line.endswith(".") or is_caption(line) or len(line.split()) < 2:
        return False
    return not any(t.tag.startswith(_PREDICATE_TAGS) for t in kiwi().tokenize(line))


def strip_citation_markers(text: str) -> str:
    """``text`` without its [n] markers (and the space before each)."""
    return _SPACED_MARKER.sub("", text).strip()


def citation_numbers(text: str) -> list[int]:
    """The [n] markers of ``text``, in order."""
    return [int(m) for m in CITATION_MARKER.findall(text)]


def one_line(text: object, limit: int = 220) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``limit`` characters with "…"."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def printable(text: str) -> str:
    """``text`` with line breaks, control characters and undecodable bytes escaped (``\\n``, ``\\udce9``),
    so a file name always prints as one line.

    >>> printable("bad\\nname\\udce9.txt")
    'bad\\\\nname\\\\udce9.txt'
    """
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
