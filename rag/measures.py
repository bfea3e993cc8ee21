"""What a "how many" question counts, and whether the answer's figure is a count of that.

A figure about the model the question names is not yet the figure asked for: to "GPT-NeoX-20B 학습할 때
GPU 몇 장 썼어요?" the default model wrote "GPU 1장", and to "What's the vocabulary size of Jurassic-1's
tokenizer?" it gave Jurassic-1's "7B" (its parameters), both cited, from passages that state no GPU count and
no vocabulary size (probe questions, session 36). So when the question counts something this module knows
(parameters, tokens, GPUs, languages, …), the figure the answer states must be written, at any scale ("7B",
"70억", "7 billion"), in a sentence of a passage it cites that names that thing in some language.

Example:
    >>> counted_measures("GPT-NeoX-20B 학습할 때 GPU 몇 장 썼어요?")
    ('accelerators',)
    >>> states_asked_measure("GPT-NeoX-20B 학습할 때 GPU 몇 장 썼어요?", "GPT-NeoX-20B는 GPU 1장을 썼습니다. [1]",
    ...                      {1: ["GPT-NeoX-20B는 밀집 레이어만 사용합니다.", "모델 훈련은 GPU 간에 분산됩니다."]})
    False
    >>> states_asked_measure("How many languages is mT5 trained on?", "mT5 covers 101 languages. [1]",
    ...                      {1: ["mT5: 101개 언어로 구성된 mC4 데이터셋을 사용하여 훈련된 다국어 T5 모델."]})
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Mapping, Sequence

from core.text import HANGUL, kiwi
from rag.answerability import term_occurs
from rag.checks import (CLAUSE_BREAK, QuantityClaim, asked_quantity_claims, asked_terms, asks_part,
                        asks_ratio_money_or_year, entity_names, part_values, stated_figures)


@dataclass(frozen=True)
class Measure:
    """A thing a question may count, as the three languages name it."""

    name: str
    names: re.Pattern  # the thing's name, in a question or a source
    written_as: re.Pattern | None = None  # how a source may state a count of it without naming it
    # A training setting or a score: a question asking for a figure that names it asks for it, whatever else it
    # counts.
    asked_by_name: bool = False


def _measure(name: str, pattern: str, written_as: str = "", asked_by_name: bool = False) -> Measure:
    """``pattern`` with "<" and ">" marking where a Latin-script word starts and ends: a Korean particle may follow
    it ("API를", where ``\\b`` sees no end)."""
    return Measure(name, re.compile(pattern.replace("<", "(?<![A-Za-z])").replace(">", "(?![A-Za-z])"), re.IGNORECASE),
                   re.compile(written_as) if written_as else None, asked_by_name)


# What the documents count about models. A question counting anything else (labelers, days, a LoRA rank) is
# judged by ``rag.checks.states_asked_quantity`` alone.
MEASURES = (
    # A parameter count is often written as a size alone: "J1-Jumbo (178B)", "PaLM 540B".
    _measure("parameters", r"파라미터|매개\s*변수|param[eèé]tres?|parameters?|<params?>", r"\d\s?[BM](?![A-Za-z])"),
    _measure("tokens", r"토큰|<tokens?>|<jetons?>"),
    _measure("accelerators", r"GPU|TPU|<puces?>|<chips?>|칩|가속기|acc[eé]l[eé]rat(?:eu|o)rs?"),
    _measure("languages", r"언어(?!\s*모델)|<langues>|<languages>"),
    _measure("vocabulary", r"어휘|vocab"),
    # Units in capitals only: "to" is an English word.
    _measure("data size", r"<(?-i:GB|TB|PB|Go|To)>|기가바이트|테라바이트|(?:giga|t[eé]ra)(?:octets|bytes)"),
    _measure("examples", r"예시|예제|샘플|인스턴스|데모|<exemples?>|[eé]chantillons?|<examples?>|<samples?>"
                         r"|<instances?>|d[eé]monstrations?"),
    _measure("layers", r"레이어|<layers?>|<couches?>"),
    _measure("experts", r"전문가|<experts?>"),
    _measure("models", r"모델|<mod[eè]les?>|<models?>"),
    _measure("tasks", r"작업|태스크|<t[aâ]ches?>|<tasks?>"),
    _measure("APIs", r"<APIs?>"),
    # To "GPT-3는 학습률(learning rate)을 정확히 얼마로 잡고 학습했어요?", whose passages give no learning rate, the
    # evidence sentence "GPT-3은 모델 파라미터를 175B로 증가시켜 보여줍니다." was quoted as the figure asked (probe set 3).
    # A context window is counted in tokens, but a token count (of the training data) is no context window.
    _measure("learning rate", r"학습률|<learning[\s-]+rates?>|taux\s+d['’]apprentissage", asked_by_name=True),
    _measure("batch size", r"배치\s*크기|<batch[\s-]*sizes?>|taille\s+d[eu]s?\s+(?:lots?|batch)", asked_by_name=True),
    _measure("context length", r"컨텍스트\s*(?:길이|윈도우|창)|문맥\s*(?:길이|윈도우|창)|시퀀스\s*길이"
                               r"|<(?:context|sequence)[\s-]+(?:window|length)s?>|fen[eê]tres?\s+de\s+contexte"
                               r"|longueurs?\s+(?:maximale\s+)?de\s+(?:s[eé]quence|contexte)", asked_by_name=True),
    # A score is a benchmark result, most often written as a percentage ("PubMedQA (77.6%)"): to "… Yuan 1.0 s'en
    # sort bien sur le schéma de Winograd. Il obtient quel score exactement ?", whose passages give no score, the figure
    # rescue quoted Yuan 1.0's "5TB de textes" as the figure asked (probe set 8).
    _measure("score", r"점수|정확도|<scores?>|<accuracy>|<exactitude>", r"\d\s?%|\d\s?(?:점|points?)(?![A-Za-z])",
             asked_by_name=True),
)
# Where a question says what it counts: "how many X", "number of X", "what's the X size", "combien de X",
# "nombre de X", "X 수", and the unit it asks in: "quelle taille (en To ou en tokens) ?", "…, en nombre de paramètres ?".
_COUNTED = re.compile(
    r"\bhow many\s+((?:[\w-]+\s+){0,2}[\w-]+)|\bnumber of\s+((?:[\w-]+\s+){0,1}[\w-]+)"
    r"|[(,]\s*(?:in|en)\s+([^()?,]{1,40}?)\s*[)?]"
    # "quel volume en tokens": MT-NLG's 530B parameters were given as its training tokens (probe set 26).
    r"|\b(?:volume|taille|size|quantit[ée]|amount)\s+(?:en|in)\s+((?:nombre\s+de\s+)?[\w-]+)"
    # "Which parameter sizes was it released in?" counts parameters: it was answered with "LLaMA (1 million samples)"
    # about Code Llama (probe set 26; on an AMD EPYC build of llama.cpp, session 62).
    r"|\b(?:what|which)(?:['’]s| is| are| was)?\s+(?:the\s+)?((?:[\w-]+\s+){0,2})(?:size|count)s?\b"
    r"|\b(?:combien|nombre)\s+(?:de\s+|d['’])((?:[\w-]+\s+){0,1}[\w-]+)|(\S+)\s+수(?:[는가도를]|\s|$)",
    re.IGNORECASE,
)
# "X가 몇 개", "몇 개 X", "몇 X": the word before "몇" and the one after it and its counter.
_KOREAN_COUNT = re.compile(r"(\S+)?\s*몇\s*(?:[십백천만억조]\s*)?(?:개|장|명)?\s*(?:짜리|의)?\s*(\S+)?")


def counted_measures(question: str) -> tuple[str, ...]:
    """The names of the measures ``question`` counts, in ``MEASURES``' order; () when it counts nothing known.

    >>> counted_measures("Yuan 1.0은 파라미터가 몇 개짜리 모델이에요?"), counted_measures("How many human labelers?")
    (('parameters',), ())
    >>> counted_measures("mT5는 몇 개 언어로 학습했고 vocab 크기는 얼마야?"), counted_measures("What's the vocab size of J1?")
    (('languages',), ('vocabulary',))

    The word before "몇" counts before the one after it: "파라미터가 몇 개짜리 모델" counts parameters, not models.
    A training setting the question names is what it asks for, not the unit it is counted in:

    >>> counted_measures("How long is LLaMA-2's context window, in tokens?"), counted_measures("BLOOM, en To ?")
    (('context length',), ('data size',))
    """
    by_name = tuple(measure.name for measure in MEASURES if measure.asked_by_name and measure.names.search(question))
    if by_name:
        return by_name
    phrases = [g for m in _COUNTED.finditer(question) for g in m.groups() if g]
    for m in _KOREAN_COUNT.finditer(question):
        before, after = m.groups()
        phrases.append(before if before and _names_measure(before) else after or "")
    return tuple(measure.name for measure in MEASURES if any(measure.names.search(p) for p in phrases))


# The counter after "몇" says what a Korean question counts ("몇 점", "몇 편"), but for the plain "how many" ("몇 개",
# "몇 가지", "몇 번"), a ratio ("몇 배"), a year ("몇 년") or a scale ("몇 십", "몇 만").
_KOREAN_COUNTER = re.compile(r"몇\s*([가-힣])")
_NO_COUNTER = frozenset("개가번배년십백천만억조으")
# "몇 개 그룹으로": after the plain counter, the word counted, as "how many groups" names it; not one of degree ("몇 개
# 정도", about how many). "키/값 헤드를 몇 개 그룹으로 묶었는지" was answered "LLaMA 2-Chat의 초기 4개 버전은 …" (probe set 12).
_PLAIN_COUNT = re.compile(r"몇\s*(?:개|가지)\s+([가-힣]+|[A-Za-z][\w-]*)")
_DEGREE = frozenset("정도 쯤 가량 남짓 이상 이하 내외".split())
# Words of a counted phrase that count nothing: "how many human labelers did …", "combien de tonnes de …".
_NOT_COUNTED = frozenset("what which did does do was were are is its their his her have has had used with from that this "
                         "par pour dans avec sont ont est été ils elles".split())


def counted_words(question: str) -> tuple[str, ...]:
    """What ``question`` counts when no measure of ``MEASURES`` names it: the words of the counted phrase, or the
    Korean counter; for a ratio, a sum of money, a cost or a year, the rates it names (``named_rates``); () when it
    counts a known measure or says nothing of what it counts.

    >>> counted_words("Yuan 1.0 … ça représente combien de tonnes de CO2 économisées ?"), counted_words("몇 점이었어요?")
    (('tonnes',), ('점',))
    >>> counted_words("How many human labelers did OpenAI hire?"), counted_words("mT5는 몇 개 언어로 학습했어?")
    (('human', 'labelers'), ())
    >>> counted_words("헤드를 몇 개 그룹으로 묶었어요?"), counted_words("샘플은 몇 개 정도 필요해요?")
    (('그룹',), ())
    """
    if counted_measures(question):
        return ()
    if asks_ratio_money_or_year(question):
        return named_rates(question)
    phrases = [g for m in _COUNTED.finditer(question) for g in m.groups() if g]
    words = [w for p in phrases for w in re.findall(r"[^\W\d_]{4,}", p) if w.casefold() not in _NOT_COUNTED]
    counters = [c for c in _KOREAN_COUNTER.findall(question) if c not in _NO_COUNTER]
    nouns = [noun for noun in map(_leading_noun, _PLAIN_COUNT.findall(question)) if noun and noun not in _DEGREE]
    return tuple(dict.fromkeys(words + counters + nouns))


# A rate the question names: "위반율(violation rate)이 몇 %까지 내려갔다고 해요?" was answered with the sentence of the
# model's entry stating "40% 더 많은 훈련 데이터" (probe set 16): a percentage of another thing is no rate of this one.
# Not "비율" and "효율" (ratio and efficiency: they name no rate of their own).
_NAMED_RATE = re.compile(r"([가-힣]{1,5}[율률])(?:[이가은는을를도의]|으?로)?(?![가-힣])|\b([^\W\d_]{4,})\s+rates?\b"
                         r"|\btaux\s+d(?:e\s+|['’])([^\W\d_]{4,})", re.IGNORECASE)
_NO_RATE = frozenset({"비율", "효율"})


def named_rates(question: str) -> tuple[str, ...]:
    """The rates ``question`` names, each by the word that says of what ("위반율", "violation", "hallucinations").

    >>> named_rates("안전성 평가 위반율(violation rate)이 몇 %까지 내려갔어요?"), named_rates("걸러낸 비율도 궁금해요.")
    (('위반율', 'violation'), ())
    >>> named_rates("De combien de points le taux d'hallucinations baisse-t-il ?")
    ('hallucinations',)
    """
    words = [w for m in _NAMED_RATE.finditer(question) for w in m.groups() if w]
    return tuple(dict.fromkeys(w for w in words if w not in _NO_RATE and w.casefold() not in _NOT_COUNTED))


def _leading_noun(word: str) -> str:
    """``word`` without the particle after it ("그룹으로" → "그룹"), when it opens with a noun or a Latin word; else ""."""
    if not HANGUL.search(word):
        return word
    first = kiwi().tokenize(word)[0]
    return first.form if first.tag.startswith("NN") else ""


def names_counted(words: Sequence[str], sentence: str) -> bool:
    """``sentence`` names what a question counts (``counted_words``): one of the words, or a figure with the Korean
    counter or the plain one ("28점", "4,800만 편", "4800만 개의 논문")."""
    for word in words:
        if re.fullmatch(r"[가-힣]", word):
            if re.search(rf"\d[\d,.]*\s*(?:[십백천만억조]\s*)*(?:{word}|개)", sentence):
                return True
        elif re.search(rf"(?<![^\W\d_]){re.escape(word[:5])}", sentence, re.IGNORECASE):
            return True
    return False


def _names_measure(phrase: str) -> bool:
    return any(measure.names.search(phrase) for measure in MEASURES)


def states_asked_measure(question: str, answer: str, passages: Mapping[int, Sequence[str]],
                         names: Collection[str] = ()) -> bool:
    """Some figure ``answer`` states about what ``question`` names is written in a sentence of a passage the
    claim cites (any passage when it cites none) that names a measure the question counts. When it counts nothing
    ``MEASURES`` knows, a sentence stating the figure names what it counts, where the question says so
    (``counted_words``): to "… ça représente combien de tonnes de CO2 économisées ?" the default model wrote "Le corpus
    … composé de 5TB de textes …" (probe set 7).

    >>> q = "What's the vocabulary size of Jurassic-1's tokenizer?"
    >>> entry = ["Jurassic-1: 7B 매개변수 J1-Large 모델과 178B 매개변수 J1-Jumbo 모델을 포함합니다."]
    >>> states_asked_measure(q, "Jurassic-1's vocabulary size is 7B. [1]", {1: entry})
    False
    >>> states_asked_measure("J1-Jumbo는 파라미터가 몇 개예요?", "J1-Jumbo has 178 billion parameters. [1]", {1: entry})
    True

    A part of a whole is not a change the passage states:

    >>> llama = ["LLaMA-2: 사전 훈련된 모델은 40% 더 많은 훈련 데이터로 훈련됩니다."]
    >>> states_asked_measure("What share of LLaMA-2's tokens were toxic?", "40% of LLaMA-2's tokens were toxic. [1]", {1: llama})
    False
    >>> lamda = ["LaMDA: 사전 훈련 데이터의 90% 이상이 영어입니다."]
    >>> states_asked_measure("What share of LaMDA's data is English?", "Over 90% of LaMDA's data is English. [1]", {1: lamda})
    True
    """
    # A change is no part of a whole: to "What share of LLaMA-2's pretraining tokens were flagged as toxic …?" the default
    # model wrote "40% of LLaMA-2's pretraining tokens were flagged as toxic", from "… 사전 훈련된 모델은 40% 더 많은 훈련
    # 데이터 …" (probe set 24).
    if asks_part(question) and not any(part_values(claim.figures_text) & _parts_of(_cited(claim, passages))
                                       for claim in asked_quantity_claims(question, answer, names=names)):
        return False
    counted = [m for m in MEASURES if m.name in counted_measures(question)]
    if not counted:
        words = counted_words(question)
        # The figure is the passages' too: a one-digit figure is no "invented number" (``rag.checks.check_answer``
        # reads two digits and more), and to "진화를 몇 라운드까지 돌렸고, 처음에 시드로 넣은 지시문은 몇 개였어요?"
        # the default model wrote "… 진화를 5 라운드까지 돌렸고, … 지시문은 1개였어요. [1]" of a passage stating
        # neither (probe set 19).
        return not words or any(names_counted(words, claim.figures_text)
                                and stated_figures(claim.figures_text) & _figures_of(_cited(claim, passages))
                                for claim in asked_quantity_claims(question, answer, spelled=True, names=names))
    asked = [t for t in asked_terms(question, names) if not _names_measure(t)]
    # A count in words ("두 전문가") is judged here only, against the passages: to "How long is LLaMA-2's context
    # window?", which counts nothing this module knows, "The initial four versions of LLaMA 2-Chat …" is no answer (dev).
    for claim in asked_quantity_claims(question, answer, spelled=True, names=names):
        figures = stated_figures(claim.figures_text)
        cited = _cited(claim, passages)
        if any(figures & stated_figures(_clauses_naming(counted, sentence)) for sentences in cited for sentence in sentences
               if _names_any(counted, sentence) and _about(sentence, asked)):
            return True
    return False


def _clauses_naming(measures: Sequence[Measure], sentence: str) -> str:
    """``sentence``, or only its clauses naming one of ``measures`` when it names another measure too: a figure
    belongs to the measure of its clause. "… BloombergGPT는 문서를 … 묶어 최대 시퀀스 길이를 사용하고, 1024에서 2048까지
    워마업 배치 크기를 사용하며, …" gives a batch size, and answered "What max sequence length was BloombergGPT trained
    with?" with "… a maximum sequence length of 2048 tokens." (probe set 3).

    >>> s = "BloombergGPT는 최대 시퀀스 길이를 사용하고, 1024에서 2048까지 배치 크기를 사용합니다."
    >>> sorted(stated_figures(_clauses_naming([m for m in MEASURES if m.name == "context length"], s)))
    []
    >>> sorted(stated_figures(_clauses_naming([m for m in MEASURES if m.name == "batch size"], s)))
    [1024.0, 2048.0]
    """
    others = [m for m in MEASURES if m not in measures]
    if not _names_any(others, sentence):
        return sentence
    # Joined after an ellipsis: a figure opening a clause is not read as a list number.
    return "… " + " … ".join(c for c in CLAUSE_BREAK.split(sentence) if _names_any(measures, c))


def _cited(claim: QuantityClaim, passages: Mapping[int, Sequence[str]]) -> list[Sequence[str]]:
    """The sentences of the passages ``claim`` cites, passage by passage; of every passage when it cites none."""
    return [passages[n] for n in claim.cites if n in passages] or list(passages.values())


def _parts_of(passages: Sequence[Sequence[str]]) -> set[float]:
    return {value for sentences in passages for sentence in sentences for value in part_values(sentence)}


def _figures_of(passages: Sequence[Sequence[str]]) -> set[float]:
    return {value for sentences in passages for sentence in sentences for value in stated_figures(sentence)}


def _about(sentence: str, asked: Sequence[str]) -> bool:
    """``sentence`` may state a figure of what the question names (``asked``): it names it, or names nothing
    else ("모델의 다양한 블록에 500억 개의 매개변수를 할당합니다." goes on about the entry it belongs to). Not
    "ToolLLM [269]은 Rapi-dAPI에서 16k개의 API를 수집합니다.": to "how many APIs was Gorilla trained on?" the
    default model wrote "Gorilla was trained on 16k API calls from Rapi-dAPI." from it (probe set 4).

    >>> [_about("ToolLLM [269]은 Rapi-dAPI에서 16k개의 API를 수집합니다.", t) for t in (["Gorilla"], ["ToolLLM"])]
    [False, True]
    >>> _about("모델의 다양한 블록에 500억 개의 매개변수를 할당합니다.", ["BloombergGPT"])
    True
    """
    return (not asked or any(term_occurs(t, sentence) for t in asked)
            or not any(not _names_measure(name) for name in entity_names(sentence)))


def _names_any(measures: Sequence[Measure], sentence: str) -> bool:
    return any(m.names.search(sentence) or (m.written_as and m.written_as.search(sentence)) for m in measures)
