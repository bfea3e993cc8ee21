"""Composition: the final ``Answer``, built around the evidence itself.

The default 1.5B model translates and condenses far more reliably than it reasons: on the first 39
answerable dev questions its replies alone stated every key fact for 7 (0.18); followed by the two
best evidence sentences, quoted or translated one by one, for 17 (0.44) (docs/EVALUATION.md). So an
answer is

* the model's reply as a lead sentence, when it passed verification (rag.verify), then
* the best evidence sentences as the documents word them: quoted when they are already in the
  question's language (the corpus holds translations), else translated one by one by the model,
  each carrying the [n] of its own passage.

A quote that merely repeats the lead or an earlier quote is left out, and one that says more than the lead
sentence restating it takes that sentence's place; the answer stays short (``_MAX_ANSWER_CHARS``,
``_MOST_ANSWER_CHARS``).

Example:
    >>> quotes = yield from quote_evidence(question, evidence, generator, settings)  # doctest: +SKIP
    >>> answer = compose_answer(base, cited, quotes, evidence)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Generator as Gen
from typing import Sequence

from core.language import detect_language, reads_as
from core.settings import Settings
from core.text import HANGUL, citation_numbers, is_caption, strip_citation_markers
from ingest.index import Index
from rag.checks import (addresses_the_model, check_answer, cited_sentences, comparable_text, content_words, invented_names, is_half_translated, is_off_language, is_prose,
                        is_question, kept_terms, leads_into_question, lost_terms, needs_translation, new_figures, with_western_scales,
                        without_foreign_asides)
from rag.cite import CitedAnswer
from rag.comparison import drops_comparison, reverses_comparison
from rag.draft import as_token_events, is_degenerate, stream_reply
from rag.evidence import announced_items, as_quoted, continuation, dangles, list_text, rank_score
from rag.llm.base import Generator
from rag.negation import drops_negation
from rag.prompt import build_translation_messages, sanitize_passage, translation_text
from rag.question import Question
from rag.types import Answer, Citation, Evidence, Hit, TokenEvent
from rag.verify import Embed, known_text, translation_fidelity

log = logging.getLogger(__name__)

REFUSAL = {
    "ko": "제공된 문서에는 이 질문에 대한 답이 없습니다. 가장 가까운 구절을 아래에 표시합니다.",
    "fr": "Les documents disponibles ne répondent pas à cette question. Les passages les plus proches sont affichés ci-dessous.",
    "en": "The documents do not answer this question. The nearest passages are shown below.",
}
# The answer is the documents' own sentences (the model's reply did not pass verification).
QUOTED_NOTICE = {
    "ko": "문서의 해당 문장으로 답합니다.",
    "fr": "Réponse tirée directement des documents.",
    "en": "Answered with the documents' own sentences.",
}
TRANSLATED_NOTICE = {
    "ko": "문서의 해당 문장을 번역해 답합니다.",
    "fr": "Réponse tirée des documents, traduite en français.",
    "en": "Answered with the documents' own sentences, translated into English.",
}
UNCITED_NOTICE = {
    "ko": "답변의 문장을 구절과 대조할 수 없어, 답변의 근거가 된 구절을 첨부했습니다.",
    "fr": "Aucune phrase de la réponse n'a pu être rattachée à un passage ; voici les passages utilisés.",
    "en": "No sentence of the answer could be matched to a passage; these are the passages it was based on.",
}

# At most this many quotes: on the 118 dev questions 4 stated every fact for 0.515 against 0.495 with 3
# (none lost one; cited-gold 0.845 against 0.835) for a length p50 of 416 characters against 396
# (runs V and W; each of 5 cross-validation folds chooses 4, scripts/cv_option_choice.py). Once the
# answer's room had grown to 550 characters, the sentence holding a fact was often the fifth candidate
# (dev-028's "실제로는 인코더 없이도 …", dev-056's "33% 더 우수한 …"): 5 stated every fact for 0.649
# against 0.619, facts_mean 0.765 against 0.744, no-fact answers 9 against 10 of 97, none lost one,
# length p50 509 against 499 (the room holds it; runs X3 and Y1, each fold chooses 5).
_QUOTES = 5
# A further quote only while the answer stays this short (a longer one is passed over for a shorter
# one): answers, not dumps of evidence. On the 118 dev questions, 300 characters met the length target
# (p50 260) but stated fewer facts than 450 (p50 363): every fact 0.392 against 0.412, none 0.289
# against 0.237; later quotes hold facts a long lead leaves no room for. 550, with the cap below, stated
# every fact for 0.629 against 0.598 for 450 (none 0.134 against 0.155; length p50 508 characters against
# 406; runs QR and QU), and each of 5 cross-validation folds chooses 550 (scripts/cv_option_choice.py,
# docs/EVALUATION.md "Session 23").
_MAX_ANSWER_CHARS = 550
# The room above is judged on the source sentence, and a translation runs longer than its Korean source
# (the French practical guide has 1.9 times the characters of its Korean twin): with 550 alone, 9 of 95
# answers passed 600 characters, the length the answers' p90 must stay within (run QS, p90 593). A quote,
# or the sentence continuing it, that would take the answer past this is taken back and a shorter
# candidate tried (run QU: none passed 600, p90 572, the same facts).
_MOST_ANSWER_CHARS = 600
_TRANSLATION_TOKENS = 160
_SAME_LANGUAGE_MARGIN = 0.1
_REPEATED_WORD_SHARE = 0.8


@dataclass(frozen=True)
class AnswerBase:
    """What every answer to the question carries, whatever its text."""

    question: Question
    hits: tuple[Hit, ...]
    timings: dict[str, float]

    def answer(self, text: str, refused: bool, citations: tuple[Citation, ...] = (), notice: str = "") -> Answer:
        return Answer(question=self.question.text, language=self.question.language, text=text, refused=refused,
                      citations=citations, hits=self.hits, standalone_question=self.question.search_text,
                      notice=notice, timings=self.timings)


@dataclass(frozen=True)
class Quote:
    """An evidence sentence as the answer states it, in the question's language; ``replaces``: the lead sentence
    (as the reader sees it, no [n]) it stands in for, saying more than it (``_restating_lead``)."""

    text: str
    evidence: Evidence
    translated: bool
    replaces: str = ""


def refusal(base: AnswerBase) -> Answer:
    return base.answer(REFUSAL[base.question.language], refused=True)


def quote_candidates(evidence: Sequence[Evidence], language: str, lead: str = "") -> list[Evidence]:
    """The best evidence sentences that read as prose (a formula or a title answers nobody), best first
    as evidence selection ranks them (the passage's relevance counts too: on the 51 dev questions whose
    gold evidence is in their own language, the 3 best so ranked hold every fact for 0.55, by sentence
    similarity alone 0.55 with longer text, 2 sentences 0.49), without those the lead already says;
    sentences already in the answer language come first while they are about as relevant as the best
    one (the corpus holds translations: quoting one costs nothing and keeps the documents' wording)."""
    ranked = sorted((e for e in evidence if not e.context and not addresses_the_model(e.sentence)),
                    key=lambda e: -rank_score(e.score, e.hit, e.hubness))
    # A document's title line answers nobody: "[논문 리뷰] Harnessing the Power of LLMs in Practice: …" was
    # quoted as the answer to two English questions (run O). Nor does the caption of a figure or table the
    # answer cannot show: "Tableau 1 : Modèle de langage étendu encodeur-décodeur ou Encodeur uniquement" took
    # the room of the sentence stating dev-062's missing fact (run QV). Nor does a question the document asks:
    # the French guide's heading "Si j'utilise LLM, lequel dois-je choisir ?" was quoted in 2 answers of run T3
    # (but a statement leading into the question it is about states it: ``leads_into_question``).
    prose = [e for e in ranked if is_prose(e.sentence) and not _is_title(e) and not is_caption(e.sentence)
             and (not is_question(e.sentence) or leads_into_question(e.sentence))] or ranked
    fresh = [e for e in prose if not _repeats(e.sentence, lead)] if lead else prose
    # A clearly weaker same-language sentence answered another question on the dev set: translate instead.
    best = max((e.score for e in prose), default=0.0)
    same = [e for e in fresh if not is_off_language(e.sentence, language) and e.score >= best - _SAME_LANGUAGE_MARGIN]
    ordered = same + [e for e in fresh if e not in same]
    # A question asking several things: what answers each part comes right after the best sentence, before
    # the sentences answering its first part again (rag.evidence; "… any known limitations?", probe set 4).
    parts = [e for e in ordered[1:] if e.answers_part]
    return ordered[:1] + parts + [e for e in ordered[1:] if not e.answers_part]


def _is_title(e: Evidence) -> bool:
    return comparable_text(e.sentence) == comparable_text(e.hit.document.title)


def _words(text: str) -> frozenset[str]:
    """The words of ``text`` as the reader sees it (no "[269]"), Korean particles and endings off
    ("ToolLLM은" and "ToolLLM [269]은" both give "toolllm"); determiners such as "여러" stay."""
    return content_words(sanitize_passage(text))


def _repeats(sentence: str, lead: str) -> bool:
    """The sentence says little the lead does not: the model often copies the best sentence almost word
    for word ("Quand les données…" for "(2) Lorsque les données…"). A sentence stating a figure the lead
    left out says that much more (``_said_again``)."""
    words = _words(sentence)
    return (bool(words) and len(words & _words(lead)) >= _REPEATED_WORD_SHARE * len(words)
            and not new_figures(sentence, lead))


def quote_evidence(question: Question, evidence: Sequence[Evidence], generator: Generator, embed: Embed,
                   settings: Settings, lead: str = "", index: Index | None = None) -> Gen[TokenEvent, None, list[Quote]]:
    """The best evidence sentences in the question's language, translated where needed (each sentence
    on its own, so that each keeps its own passage, and continued from ``index``'s next passage where its
    own ends: ``rag.evidence.continuation``); streams what it adds to the answer, and takes a translation
    it leaves out off the display again (a restart to what the answer holds so far)."""
    language, quotes, shown = question.language, [], lead
    # The room counts the answer as the reader sees it, as the cap does (no [n]): with the lead's markers
    # counted, dev-062's room after its first quote was 172 characters, and the sentence stating its missing
    # fact has 178 (run QU).
    lead_chars = len(strip_citation_markers(lead))
    lead_sentences = [t for t in map(strip_citation_markers, cited_sentences(lead)) if t]
    said: set[str] = set()  # the sentences quoted so far, continuations included
    for e in quote_candidates(evidence, language, lead):
        if len(quotes) == _QUOTES:
            break
        replaced = sum(len(q.replaces) + 1 for q in quotes if q.replaces)
        room = _MAX_ANSWER_CHARS - lead_chars + replaced - sum(len(q.text) for q in quotes)
        if comparable_text(e.sentence) in said or (quotes and len(e.sentence) > room):
            continue
        follow = quoted_continuation(e, room, index)
        # Quoted already, on its own ("BPE: 이는 인접한 …" twice, probe set 4), or the lead says it in the same words:
        # the lead copied "이 능력은 … 다단계 지시를 이해하고 실행하는 능력이 매우 중요합니다." and the sentence before it,
        # left out as said again, brought it back as its continuation (probe set 11).
        if comparable_text(follow) in said or (follow and lead and _repeats(follow, lead)):
            follow = ""
        if dangles(e.sentence) and not follow:
            log.info("evidence [%d] announces what the answer cannot quote after it; left out", e.n)
            continue
        # As the model reads it (no bibliography "[12]" posing as a citation, no chat-template tokens),
        # without asides in another language (e.g. an instruction planted inside a passage).
        sentence = without_foreign_asides(sanitize_passage(as_quoted(e)), language)
        rest = without_foreign_asides(sanitize_passage(follow), language) if follow else ""
        translated = needs_translation(sentence, language)
        if translated:
            text, restating = yield from _translated_quote(e, rest, question, evidence, generator, embed, settings,
                                                           shown, lead, lead_sentences, quotes)
        else:
            text, restating = _as_written(e, sentence, rest, language, lead_sentences, quotes, embed, settings)
        if not text:
            continue
        if _too_long(shown, text, restating):
            log.info("evidence [%d]%s would make the answer too long; left out", e.n, " translated" if translated else "")
            if translated:
                yield TokenEvent(shown, restart=True)
            continue
        quotes.append(Quote(text, e, translated, replaces=restating))
        if restating:
            lead_sentences.remove(restating)
        said.update(comparable_text(t) for t in (e.sentence, follow) if t)
        so_far, shown = shown, _answer_text(lead, quotes, markers=False)
        if restating:  # the quote takes the lead sentence's place on the display too
            yield TokenEvent(shown, restart=True)
        elif not translated:  # (a translation streamed as it came)
            yield TokenEvent(f" {text}" if so_far else text, restart=not so_far)
    return quotes


def _as_written(e: Evidence, sentence: str, rest: str, language: str, lead_sentences: Sequence[str],
                quotes: Sequence[Quote], embed: Embed, settings: Settings) -> tuple[str, str]:
    """``e``'s ``sentence``, already in the answer's language, followed by its continuation ``rest``; "" when nothing
    of it is left to say. With it, the lead sentence it says more than and takes the place of (``_restating_lead``),
    or ""."""
    restating = ""
    said = _said_again(sentence, lead_sentences, quotes, embed, settings)
    if said:
        restating = _restating_lead(sentence, said, lead_sentences)
        if restating:
            log.info("evidence [%d] says more than the lead sentence restating it; it takes its place", e.n)
        else:
            log.info("evidence [%d] says what the answer said; left out", e.n)
            sentence = ""
    if rest and not needs_translation(rest, language):  # (a passage may change language midway)
        sentence = f"{sentence} {rest}" if sentence else rest
    return sentence, restating


def _answer_text(lead: str, quotes: Sequence[Quote], markers: bool = True) -> str:
    """The lead, each sentence a quote replaces swapped for it, then the other quotes; with [n] markers after the
    quotes when ``markers`` (the display while quoting has none)."""
    def quoted(q: Quote) -> str:
        return f"{q.text} [{q.evidence.n}]" if markers else q.text
    in_place = {q.replaces: q for q in quotes if q.replaces}
    parts = [quoted(in_place[strip_citation_markers(unit)]) if strip_citation_markers(unit) in in_place else unit
             for unit in cited_sentences(lead)] if in_place else [lead]
    return " ".join(p for p in [*parts, *(quoted(q) for q in quotes if not q.replaces)] if p)


def _too_long(shown: str, text: str, replacing: str = "") -> bool:
    """Quoting ``text`` after ``shown`` (the answer so far), in place of its sentence ``replacing`` if any, would
    take the answer, as the reader sees it (no [n]), past ``_MOST_ANSWER_CHARS``; the first words of an answer are
    never too long."""
    length = len(strip_citation_markers(f"{shown} {text}")) - (len(replacing) + 1 if replacing else 0)
    return bool(shown) and length > _MOST_ANSWER_CHARS


def _translated_quote(e: Evidence, rest: str, question: Question, evidence: Sequence[Evidence], generator: Generator,
                      embed: Embed, settings: Settings, shown: str, lead: str, lead_sentences: Sequence[str],
                      quotes: Sequence[Quote]) -> Gen[TokenEvent, None, tuple[str, str]]:
    """``e`` translated for the answer, followed by its continuation ``rest`` (translated too), streamed
    after ``shown``; "" when nothing of it is left to say. With it, the lead sentence it says more than and
    takes the place of (``_restating_lead``), or ""."""
    language = question.language
    # The item is translated alone and its heading kept as written when it is a Latin-script name:
    # translated together, "플랑: CoT와 함께한 파인튜닝은 …" (Flan) came back as "Pla: Le piano avec la
    # touche Cot …" (dev set). A heading in Hangul means nothing in a French or English answer.
    heading = f"{e.heading}: " if e.heading and not HANGUL.search(e.heading) else ""
    item = without_foreign_asides(sanitize_passage(as_quoted(e, heading=False)), language)
    text = yield from _translation(item, question, evidence, generator, embed, settings, shown, heading)
    said_already, restating = False, ""
    if not text:
        log.info("translation of evidence [%d] unusable; left out", e.n)
    elif lead and _repeats(text, lead):  # the lead was already this sentence, translated
        log.info("translation of evidence [%d] repeats the lead; left out", e.n)
        text, said_already = "", True
    elif said := _said_again(heading + text, lead_sentences, quotes, embed, settings):
        restating = _restating_lead(heading + text, said, lead_sentences)
        if restating:
            log.info("translation of evidence [%d] says more than the lead sentence restating it; it takes its place",
                     e.n)
        else:
            log.info("translation of evidence [%d] says what the answer said; left out", e.n)
            text, said_already = "", True
    if not text:
        yield TokenEvent(shown, restart=True)
        if not (said_already and rest):  # what the answer said already, its continuation may add to
            return "", ""
    else:
        text = heading + text
    if rest:
        # Translated on its own too: given both at once, the default model merged "대형 다국어 모델은 …
        # 단일 언어 모델과 동등한 성능을 발휘합니다. 그러나 작은 다국어 모델은 성능이 떨어집니다." into "a large
        # multilingual model performs like a small one", and dropped the second sentence of 2 of 5
        # such pairs; one at a time, it kept all ten (one-off script, docs/EVALUATION.md "Session 19").
        so_far = " ".join(t for t in (shown, text) if t)
        more = yield from _translation(rest, question, evidence, generator, embed, settings, so_far, "")
        if not more:
            log.info("translation of the sentence after evidence [%d] unusable; left out", e.n)
            yield TokenEvent(so_far, restart=True)
        elif text and _too_long(shown, f"{text} {more}", restating):  # the sentence still fits alone
            log.info("the sentence after evidence [%d] would make the answer too long; left out", e.n)
            yield TokenEvent(so_far, restart=True)
        else:
            text = f"{text} {more}" if text else more
    return text, restating


def quoted_continuation(e: Evidence, room: int, index: Index | None = None) -> str:
    """What completes ``e`` when it fits with it in ``room`` characters: the items of the list it announces
    (``rag.evidence.announced_items``; as many as fit, in order), else the sentence after it that completes it
    (``rag.evidence.continuation``); else "", and ``e`` is quoted alone rather than leaving no room for the
    next quote. On the 97 answerable dev questions, quotes so continued by the next sentence hold every fact
    (literally, before translation) for 44 against 39 quoted alone (``scripts/evidence_chain.py``, session 25)."""
    items = announced_items(e, index)
    if items:
        candidates = [list_text(items[:k]) for k in range(len(items), 0, -1)]
    else:
        follow = continuation(e, index)
        candidates = [follow] if follow else []
    # A sentence giving orders to the model is no continuation, however it opens (quote_candidates' rule).
    return next((text for text in candidates
                 if len(e.sentence) + 1 + len(text) <= room and not addresses_the_model(text)), "")


def _said_again(text: str, lead_sentences: Sequence[str], quotes: Sequence[Quote], embed: Embed,
                settings: Settings) -> str:
    """The sentence of the lead or quote that ``text`` says again in other words, or "": the French guide's
    sentence and the translation of its Korean twin ("Convient pour LLM : … certaines tâches NLU …" and "LLM
    est adapté : mais il existe également des tâches NLU …", 0.92); the lead "Teams usually use offline inference …"
    and the quote "Therefore, many engineering teams use offline inference …" (0.90, dev set).
    Not when it states a figure they left out: dev-076's lead "Codex uses a sampling trick to generate 100
    versions of the program …" dropped its source's "… 문제의 77.5%에 대한 작동하는 솔루션을 생성합니다.", and
    the translation of that source was left out as saying it again (run U1)."""
    said = [*lead_sentences, *(q.text for q in quotes)]
    if settings.quote_repeat_similarity > 1 or not said or new_figures(text, " ".join(said)):
        return ""
    vectors = embed([text, *said])
    similarities = vectors[1:] @ vectors[0]
    closest = int(similarities.argmax())
    return said[closest] if similarities[closest] >= settings.quote_repeat_similarity else ""


def _restating_lead(text: str, said: str, lead_sentences: Sequence[str]) -> str:
    """``said`` (what ``text`` says again, ``_said_again``) when it is a lead sentence restating ``text`` in fewer
    words, or "". The lead often keeps part of its source: "LLMs reach human-level performance …, but … they require
    a lot of hardware" for "… is hindered by slow training and inference, requiring … hardware and high operational
    costs" (probe10-022), or says it wrong: "Le phénomène de mise à l'échelle inverse est connu sous le nom de
    « loi d'échelle »" restated the French guide's sentence on inverse scaling (dev-045). Left out as said again,
    the source took its fact along; quoted in the lead sentence's place, the answer keeps its length."""
    return said if said in lead_sentences and not _repeats(text, said) else ""


def _translation(item: str, question: Question, evidence: Sequence[Evidence], generator: Generator, embed: Embed,
                 settings: Settings, shown: str, heading: str) -> Gen[TokenEvent, None, str]:
    """``item`` translated into the question's language, streamed after ``shown`` (the answer so far; when
    empty, the display restarts) under ``heading``; "" when no usable translation came.
    One that lost a name or figure of the item, or says something else (its embedding is far from the
    item's: ``Settings.translation_floor``), is taken off the display and asked for again with the item's
    names written out, once. Over the dev set (run R, docs/EVALUATION.md) 13 first translations lost a
    name; asked again, 7 kept them and 6 were left out ("CoT와 함께한 파인튜닝은 …" had come back as
    "La pincée de sucre …"). Still unusable, and neither the item nor the answer is English, the item is
    translated into English first (not shown) and that into the answer's language: the default model
    translates Korean into English far better than into French ("… 상반된 행동을 보일 수 있습니다." came back
    as "… dans les cas de la prédiction des images …" directly, as "… un comportement opposé …" through
    English; docs/EVALUATION.md, "Session 20")."""
    language, keep = question.language, []
    # The item is known too: it may carry a continuation the model was not shown (``quoted_continuation``).
    known = f"{known_text(question, evidence)} {item}"
    source = with_western_scales(item, language)
    for attempt in range(2):
        text, usable = yield from _translated_once(source, item, keep, language, known, generator, embed, settings,
                                                   shown, heading, f"translation {attempt + 1}")
        if text or not usable:
            return text
        if keep or not kept_terms(item):  # asked the same way, a model at temperature 0 says the same again
            break
        yield TokenEvent(shown, restart=True)
        keep = kept_terms(item)
    if language == "en" or detect_language(item, "en") == "en":
        return ""
    messages = build_translation_messages(with_western_scales(item, "en"), "en")
    english = translation_text("".join(generator.stream_chat(messages, max_tokens=_TRANSLATION_TOKENS,
                                                             temperature=settings.temperature)).strip(), "en")
    if is_degenerate(english) or not reads_as(english, "en"):
        return ""
    yield TokenEvent(shown, restart=True)
    text, _ = yield from _translated_once(english, item, [], language, known, generator, embed, settings, shown,
                                          heading, "translation through English")
    return text


def _translated_once(source: str, item: str, keep: Sequence[str], language: str, known: str, generator: Generator,
                     embed: Embed, settings: Settings, shown: str, heading: str,
                     attempt: str) -> Gen[TokenEvent, None, tuple[str, bool]]:
    """``source`` translated into ``language``, streamed, and judged against ``item`` (the sentence it
    stands for): (the translation, True) when usable; ("", True) when it lost a name, a figure, a comparison or
    the negation of ``item`` (``rag.negation``), or says something else, which another attempt may mend; ("", False) when it is unusable outright (no
    answer, another language, degenerate or half translated)."""
    messages = build_translation_messages(source, language, keep)
    reply = yield from as_token_events(
        stream_reply(generator, messages, language, _TRANSLATION_TOKENS, settings.temperature),
        restart=not shown, prefix=(" " if shown else "") + heading)
    written = translation_text(reply.text, language, keep)
    # A name the source does not write is asked for again, as a name lost is: "… developed by OpenAI to …" for "…
    # 오픈소스화하기 위해 개발되었습니다." (probe set 30); the checks below would leave the quote out.
    invented = invented_names(written, known)
    if invented:
        log.info("%s adds %s", attempt, ", ".join(invented))
        return "", True
    text = check_answer(written, language, known).text
    if (reply.no_answer or reply.wrong_language or is_degenerate(text) or not reads_as(text, language)
            or is_half_translated(text, language)):
        return "", False
    lost = lost_terms(item, text)
    if lost:
        log.info("%s lost %s", attempt, ", ".join(lost))
        log.debug("%s: %r for %r", attempt, text, item)
        return "", True
    if reverses_comparison(item, text):
        log.info("%s compares the other way round", attempt)
        log.debug("%s: %r for %r", attempt, text, item)
        return "", True
    if drops_comparison(item, text):
        log.info("%s names what its source compares against and compares nothing", attempt)
        return "", True
    if drops_negation(item, detect_language(item, language), text, language):
        log.info("%s negates nothing where its source negates", attempt)
        log.debug("%s: %r for %r", attempt, text, item)
        return "", True
    fidelity = translation_fidelity(item, text, embed)
    if fidelity < settings.translation_floor:
        log.info("%s says something else (similarity %.2f to its source)", attempt, fidelity)
        log.debug("%s: %r for %r", attempt, text, item)
        return "", True
    return text, True


def compose_answer(base: AnswerBase, cited: CitedAnswer | None, quotes: Sequence[Quote],
                   evidence: Sequence[Evidence]) -> Answer:
    """The verified lead, then the quotes with their passages' [n] (a quote saying more than a lead sentence stands in
    its place)."""
    language = base.question.language
    if not cited and not quotes:  # no lead and no usable translation: the best sentence as the documents say it
        quotes = [Quote(sanitize_passage(as_quoted(e)), e, translated=False) for e in quote_candidates(evidence, language)[:1]]
    if not cited and not quotes:  # nothing verified and nothing quotable (every sentence gives orders to the model)
        return refusal(base)
    lead = cited.text if cited else ""
    text = _answer_text(lead, quotes)
    # A passage only the lead sentences a quote took the place of cited is cited no more.
    uncited = set(citation_numbers(lead)) - set(citation_numbers(text))
    citations: dict[int, Citation] = {c.n: c for c in (cited.citations if cited else ()) if c.n not in uncited}
    for q in quotes:
        citations.setdefault(q.evidence.n, Citation(n=q.evidence.n, hit=q.evidence.hit, sentence=q.evidence.sentence,
                                                     support=q.evidence.score))
    notice = ""
    replaced = {q.replaces for q in quotes}
    if not any(strip_citation_markers(unit) not in replaced for unit in cited_sentences(lead)):  # no word of the model's
        notice = TRANSLATED_NOTICE[language] if any(q.translated for q in quotes) else QUOTED_NOTICE[language]
    if not citations:
        notice = UNCITED_NOTICE[language]
        citations = {c.n: c for c in evidence_citations(evidence)}
    return base.answer(text, refused=False, citations=tuple(citations[n] for n in sorted(citations)), notice=notice)


def evidence_citations(evidence: Sequence[Evidence], most: int = 2) -> tuple[Citation, ...]:
    """The passages of the best evidence sentences, one citation each (at most ``most``)."""
    citations: dict[int, Citation] = {}
    for e in sorted(evidence, key=lambda e: -e.score):
        if e.n not in citations and len(citations) < most:
            citations[e.n] = Citation(n=e.n, hit=e.hit, sentence=e.sentence, support=e.score)
    return tuple(citations.values())
