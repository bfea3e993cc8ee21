"""Answer a question from the index: retrieve, select evidence, refuse or generate, cite.

The small default model is not trusted to decide whether the documents answer,
to cite, or to keep the question's language, so:

* refusal is decided by the best evidence sentence's similarity (calibrated on
  the dev set) before the model runs; the model's own NO_ANSWER is trusted only
  when that similarity is not clearly high (otherwise it is asked again), since on
  the dev set it said NO_ANSWER to answerable questions and answered unanswerable ones;
* answer sentences in the wrong language or stating numbers found in no passage
  are dropped (rag.checks);
* the model reads only the best sentences of the best passages (a short prompt,
  which is also what makes the first token fast on two cores);
* the answer's language is checked early in the stream; a wrong one restarts
  generation with a strict instruction, and degenerate output falls back to the
  evidence sentences;
* citations are attached afterwards by matching answer sentences to passages; a reply
  of which no sentence is backed by a passage is replaced by the evidence sentences.

Example:
    >>> pipeline = RagPipeline.from_settings(Settings.load())  # doctest: +SKIP
    >>> answer = pipeline.answer("Quand faut-il distiller un modèle ?")  # doctest: +SKIP
    >>> answer.text, [c.n for c in answer.citations]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
import unicodedata
from typing import Iterator, Sequence

import numpy as np

from ingest.chunk import split_sentences
from ingest.embed import Embedder
from ingest.index import Index, current_version, open_index
from ingest.language import detect_language
from rag.checks import (
    check_answer,
    has_off_language_sentence,
    is_bare_reply,
    is_echo,
    is_off_language,
    is_prose,
    without_foreign_asides,
)
from rag.cite import SourcePassage, attach_citations, strip_markers
from rag.conversation import is_follow_up, standalone_question
from rag.evidence import best_score, group_by_passage, select_evidence
from rag.generate import Generator, load_generator
from rag.prompt import NO_ANSWER, NOT_A_REPLY, build_messages, build_translation_messages, sanitize_passage
from rag.retrieve import HybridRetriever, RetrievalConfig
from rag.types import Answer, AnswerEvent, Event, Evidence, Hit, SourcesEvent, TokenEvent
from survey_rag.settings import Settings

log = logging.getLogger(__name__)

REFUSAL = {
    "ko": "제공된 문서에는 이 질문에 대한 답이 없습니다. 가장 가까운 구절을 아래에 표시합니다.",
    "fr": "Les documents disponibles ne répondent pas à cette question. Les passages les plus proches sont affichés ci-dessous.",
    "en": "The documents do not answer this question. The nearest passages are shown below.",
}
FALLBACK_NOTICE = {
    "ko": "모델의 답변을 사용할 수 없어, 가장 관련 있는 문장을 그대로 보여 드립니다.",
    "fr": "La réponse du modèle était inutilisable ; voici les phrases les plus pertinentes des documents.",
    "en": "The model's answer was unusable; these are the most relevant sentences from the documents.",
}
TRANSLATED_NOTICE = {
    "ko": "모델의 답변을 사용할 수 없어, 가장 관련 있는 문장을 번역해 보여 드립니다.",
    "fr": "La réponse du modèle était inutilisable ; voici la traduction des phrases les plus pertinentes des documents.",
    "en": "The model's answer was unusable; this is a translation of the most relevant sentences from the documents.",
}
UNCITED_NOTICE = {
    "ko": "답변의 문장을 구절과 대조할 수 없어, 답변의 근거가 된 구절을 첨부했습니다.",
    "fr": "Aucune phrase de la réponse n'a pu être rattachée à un passage ; voici les passages utilisés.",
    "en": "No sentence of the answer could be matched to a passage; these are the passages it was based on.",
}

_LANGUAGE_CHECK_CHARS = 48
_SAME_LANGUAGE_MARGIN = 0.1
_TEMPLATE_TOKENS_PER_MESSAGE = 8  # role markers and separators ("<|im_start|>user\n", "<|im_end|>\n")
_REPEAT = re.compile(r"(.{6,}?)\1{3,}", re.DOTALL)
_LETTERS = re.compile(r"[^\W\d_]")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff]")


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message says why."""


def validate_question(question: str, max_chars: int) -> str:
    """The question, cleaned, or a QuestionError saying what is wrong with it.

    Cleaning: NFC (decomposed accents and Hangul match the documents), no control or invisible
    characters, and no undecodable halves of characters (a lone surrogate from a broken client
    would make the tokenizers raise)."""
    text = unicodedata.normalize("NFC", (question or "").encode("utf-8", "replace").decode("utf-8"))
    text = _INVISIBLE.sub("", text).strip()
    if not _LETTERS.search(text):
        raise QuestionError("Please type a question (the message was empty or had no words).")
    if len(text) > max_chars:
        raise QuestionError(
            f"The question is too long ({len(text):,} characters; the limit is {max_chars:,}). Please shorten it."
        )
    return text


def is_degenerate(text: str) -> bool:
    """Empty, markers only, a bare "yes"/"no", or stuck repeating itself."""
    plain, _ = strip_markers(text)
    if len(_LETTERS.findall(plain)) < 3 or plain.strip().upper().startswith(NO_ANSWER) or is_bare_reply(plain):
        return True
    return bool(_REPEAT.search(plain))


class RagPipeline:
    """The answering pipeline over the live index version (re-opened when an ingest commits)."""

    def __init__(self, settings: Settings, embedder: Embedder, generator: Generator | None = None):
        self.settings = settings
        self.embedder = embedder
        self._generator = generator
        self._generator_lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._index: Index | None = None
        self._retriever: HybridRetriever | None = None

    @classmethod
    def from_settings(cls, settings: Settings, generator: Generator | None = None) -> "RagPipeline":
        return cls(settings, Embedder.load(settings), generator)

    @property
    def generator(self) -> Generator:
        with self._generator_lock:
            if self._generator is None:
                self._generator = load_generator(self.settings)
            return self._generator

    def retriever(self) -> HybridRetriever:
        """The retriever for the live index version; switches when a new version is committed."""
        with self._index_lock:
            live = current_version(self.settings.index_dir)
            if self._index is None or (live is not None and live != self._index.version):
                self._index = open_index(self.settings.index_dir)
                self._retriever = HybridRetriever(
                    self._index, self.embedder, RetrievalConfig(candidate_k=self.settings.candidate_k)
                )
                log.info("answering from index version %s", self._index.version)
            return self._retriever

    def warm_up(self, prime_model: bool = True) -> None:
        """Open the live index, build its keyword index, run the query embedder (and Kiwi) once and,
        with ``prime_model``, put the fixed instructions in the model's prompt cache: the first
        question then costs what every later one does. Raises IndexStoreError without an index."""
        self.search("디코더 전용 모델 decoder-only models", 1)
        if prime_model:
            messages = build_messages("?", "en", [])  # the fixed instructions, as every question starts
            pin = getattr(self.generator, "pin_prompt", None)  # llama.cpp in-process; a server keeps its own
            if pin is not None:
                pin(messages)
            else:
                for _ in self.generator.stream_chat(messages, max_tokens=1):
                    pass

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        return self.retriever().search(question, k or self.settings.top_k)

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The final answer (consumes the stream)."""
        final = None
        for event in self.stream(question, history):
            if isinstance(event, AnswerEvent):
                final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, history: Sequence[str] = (), top_k: int | None = None,
               max_answer_tokens: int | None = None) -> Iterator[Event]:
        """Yield SourcesEvent, then TokenEvents, then one AnswerEvent.

        ``history`` holds the previous questions of the conversation, oldest first.
        """
        started = time.monotonic()
        s = self.settings
        question = validate_question(question, s.max_question_chars)
        language = detect_language(question)
        search_text = standalone_question(question, history)
        context = history[-1] if history and search_text != question else ""

        retriever = self.retriever()
        query_vec, search_vec = retriever.query_vectors(search_text)
        hits = retriever.search(search_text, top_k or s.top_k, search_vec)
        evidence = select_evidence(
            hits, retriever.index, query_vec, max_sentences=s.evidence_sentences,
            token_budget=_evidence_budget(s),
        )
        timings = {"retrieval_s": time.monotonic() - started}
        refuse = best_score(evidence) < s.refusal_threshold
        if not refuse:  # whatever the question, the context and the passages cost, the prompt fits the budget
            evidence, context = self._fit_prompt(question, language, evidence, context)
        yield SourcesEvent(tuple(hits), tuple(evidence), language, refuse)

        base = dict(question=question, language=language, hits=tuple(hits), standalone_question=search_text)
        if refuse:
            timings["total_s"] = time.monotonic() - started
            yield AnswerEvent(Answer(text=REFUSAL[language], refused=True, timings=timings, **base))
            return

        sure = best_score(evidence) >= s.sure_evidence_threshold
        text, state = "", {}
        for attempt, strict in enumerate((False, True)):
            messages = build_messages(question, language, evidence, context=context, strict=strict)
            text, state = "", {}
            for piece in self._generate(messages, language, max_answer_tokens or s.max_answer_tokens, timings,
                                        started, state, banned=NOT_A_REPLY):
                yield TokenEvent(piece, restart=attempt > 0 and not text)
                text += piece
            if state.get("no_answer"):
                if not sure:
                    break
                reason = "NO_ANSWER despite strong evidence"
            elif state.get("wrong_language") or detect_language(text, language) != language:
                reason = "wrong language"
            elif is_degenerate(text):
                reason = "degenerate"
            elif not strict and is_echo(text, question):
                reason = "restates the question"
            else:
                break
            log.info("answer rejected (%s)%s", reason, "; retrying with a strict instruction" if not strict else "")
        # The model's NO_ANSWER stands only when the evidence is not clearly close to the question:
        # on the dev set it said NO_ANSWER to answerable questions far more often than to unanswerable ones.
        text = "" if state.get("no_answer") else text.strip()

        known = " ".join([question, context, *(sanitize_passage(e.sentence) for e in evidence)])  # as shown
        checked = check_answer(text, language, known)
        if checked.dropped:
            log.info("dropped from the answer: %s", "; ".join(f"{d.reason}: {d.sentence[:60]!r}" for d in checked.dropped))
            text = checked.text
        if not text and not sure:
            timings["total_s"] = time.monotonic() - started
            yield AnswerEvent(Answer(text=REFUSAL[language], refused=True, timings=timings, **base))
            return

        passages = self._source_passages(retriever.index, evidence)
        notice, cited = "", None
        if is_degenerate(text) or detect_language(text, language) != language:
            log.info("answering with the evidence sentences instead of the model's reply")
        else:
            cited = attach_citations(text, passages, self._embed_sentences, s.support_threshold)
            if cited.supported_sentences < s.min_supported_share * cited.total_sentences or not cited.citations:
                log.info("passages support %d of the reply's %d claims; answering with the evidence sentences",
                         cited.supported_sentences, cited.total_sentences)
                cited = None
            elif rests_on_weaker_passages(cited.citations, evidence, s.off_target_margin):
                log.info("the reply rests only on passages far less relevant than the best; "
                         "answering with the evidence sentences")
                cited = None
        if cited is None:
            # without_foreign_asides: e.g. an instruction planted inside a passage
            shown = [(without_foreign_asides(e.sentence, language), e.n) for e in self._fallback_evidence(evidence, language)]
            text, notice = " ".join(f"{sentence} [{n}]" for sentence, n in shown), FALLBACK_NOTICE[language]
            threshold = s.support_threshold
            if detect_language(text, language) != language or has_off_language_sentence(text, language):
                # evidence in another language: translate it
                translated, state = "", {}
                messages = build_translation_messages(strip_markers(text)[0], language)
                for piece in self._generate(messages, language, max_answer_tokens or s.max_answer_tokens, timings,
                                            started, state):
                    yield TokenEvent(piece, restart=not translated)
                    translated += piece
                translated = check_answer(translated.strip(), language, known).text  # e.g. two sentences translated alike
                if (not state.get("no_answer") and not state.get("wrong_language") and not is_degenerate(translated)
                        and detect_language(translated, language) == language):
                    text, notice = translated, TRANSLATED_NOTICE[language]
                    marked = marked_translation(translated, shown)
                    if marked:  # our own translation of those sentences: their passages are its sources
                        text, threshold = marked, 0.0
            cited = attach_citations(text, passages, self._embed_sentences, threshold)
        citations = cited.citations
        if not citations:
            notice = notice or UNCITED_NOTICE[language]
            citations = tuple(_evidence_citations(evidence))
        timings["total_s"] = time.monotonic() - started
        yield AnswerEvent(Answer(text=cited.text, refused=False, citations=citations, notice=notice,
                                 timings=timings, **base))

    def _generate(self, messages, language: str, max_tokens: int, timings: dict, started: float,
                  state: dict, banned: Sequence[str] = ()) -> Iterator[str]:
        """Stream the reply. A NO_ANSWER is never shown (``state["no_answer"]``); a reply that starts in
        the wrong language is cut short (``state["wrong_language"]``)."""
        seen, pending = "", ""
        for piece in self.generator.stream_chat(messages, max_tokens=max_tokens, temperature=self.settings.temperature,
                                                banned=banned):
            seen += piece
            head = seen.strip().upper()
            if head.startswith(NO_ANSWER):
                state["no_answer"] = True
                return
            if NO_ANSWER.startswith(head):
                pending += piece  # could still become NO_ANSWER
                continue
            timings.setdefault("first_token_s", time.monotonic() - started)
            yield pending + piece
            pending = ""
            if not state.get("checked") and len(seen) >= _LANGUAGE_CHECK_CHARS:
                state["checked"] = True
                if detect_language(seen, language) != language:
                    state["wrong_language"] = True
                    return
        if pending:
            yield pending

    def _fit_prompt(self, question: str, language: str, evidence: Sequence[Evidence], context: str
                    ) -> tuple[list[Evidence], str]:
        """Evidence and context trimmed so that the prompt of either attempt fits ``prompt_token_budget``,
        counted with the model's own tokenizer (a question of emoji or kanji costs several times the
        estimate). The previous question goes first, then the least relevant sentences, then the end
        of the last one; a question that leaves no room for a sentence is a QuestionError."""
        budget, count = self.settings.prompt_token_budget, self.generator.count_tokens
        evidence = list(evidence)
        while True:
            used = max(
                _prompt_tokens(build_messages(question, language, evidence, context=context, strict=strict), count)
                for strict in (False, True)
            )
            if used <= budget:
                return evidence, context
            if context:
                context = ""
            elif len(evidence) > 1:
                evidence.remove(min(evidence, key=lambda e: e.score))
                renumber = {n: i for i, n in enumerate(sorted({e.n for e in evidence}), start=1)}
                evidence = [dataclasses.replace(e, n=renumber[e.n]) for e in evidence]
            elif evidence and len(evidence[0].sentence) > 80:  # one huge sentence (a table, a run of symbols)
                sentence = evidence[0].sentence
                evidence = [dataclasses.replace(evidence[0], sentence=sentence[: len(sentence) // 2] + " …")]
            else:
                raise QuestionError(
                    f"The question is too long for the model ({count(question):,} tokens; the whole prompt "
                    f"may use {budget:,}). Please shorten it."
                )

    def _source_passages(self, index: Index, evidence: Sequence[Evidence]) -> list[SourcePassage]:
        return [
            SourcePassage(n, hit, tuple(hit.chunk.sentence_texts()), index.sentence_vectors_of(hit.row))
            for n, hit, _ in group_by_passage(evidence)
        ]

    def _embed_sentences(self, sentences: list[str]) -> np.ndarray:
        return self.embedder.encode_documents(sentences)

    def _fallback_evidence(self, evidence: Sequence[Evidence], language: str) -> list[Evidence]:
        """The two best evidence sentences that read as prose, preferring those already in the answer
        language (the corpus holds translations) as long as they are relevant enough to answer from."""
        ranked = sorted(evidence, key=lambda e: -e.score)
        prose = [e for e in ranked if is_prose(e.sentence)] or ranked  # a formula answers nobody
        same = [e for e in prose if e.score >= self.settings.refusal_threshold and not is_off_language(e.sentence, language)]
        # Same-language sentences only when the best of them is about as relevant as the best sentence:
        # a clearly weaker one answered another question on the dev set (translating costs less).
        if same and same[0].score < prose[0].score - _SAME_LANGUAGE_MARGIN:
            same = []
        return (same or prose)[:2]


def marked_translation(translated: str, sources: Sequence[tuple[str, int]]) -> str | None:
    """``translated`` with each sentence followed by the [n] of the source sentence it translates, when
    the translation has exactly as many sentences as its sources (else None: the mapping is unknown).

    >>> marked_translation("Distillation shrinks models. It keeps accuracy.", [("증류는 모델을 줄인다.", 2), ("정확도는 유지된다.", 1)])
    'Distillation shrinks models. [2] It keeps accuracy. [1]'
    """
    plain, _ = strip_markers(translated)
    pieces = [plain[sp.start : sp.end] for sp in split_sentences(plain)]
    numbers = [n for sentence, n in sources for _ in split_sentences(sentence)]
    if not pieces or len(pieces) != len(numbers):
        return None
    return " ".join(f"{piece} [{n}]" for piece, n in zip(pieces, numbers))


def _prompt_tokens(messages: Sequence[dict[str, str]], count) -> int:
    """Tokens the chat messages cost, with the chat template's few tokens per message."""
    return sum(count(m["content"]) + _TEMPLATE_TOKENS_PER_MESSAGE for m in messages) + _TEMPLATE_TOKENS_PER_MESSAGE


def rests_on_weaker_passages(citations: Sequence, evidence: Sequence[Evidence], margin: float) -> bool:
    """Every passage the reply cites is more than ``margin`` less similar to the question than the best one:
    the small model answered from a side passage (another topic) instead of the one that answers.

    >>> from types import SimpleNamespace as NS
    >>> ev = [NS(n=1, score=0.63), NS(n=2, score=0.54), NS(n=4, score=0.41)]
    >>> rests_on_weaker_passages([NS(n=4)], ev, 0.2), rests_on_weaker_passages([NS(n=4), NS(n=2)], ev, 0.2)
    (True, False)
    """
    best_of: dict[int, float] = {}
    for e in evidence:
        best_of[e.n] = max(best_of.get(e.n, 0.0), e.score)
    best = max(best_of.values(), default=0.0)
    return bool(citations) and all(best_of.get(c.n, 0.0) < best - margin for c in citations)


def _evidence_budget(settings: Settings) -> int:
    """Tokens left for evidence once instructions, question and answer are accounted for."""
    return max(120, min(360, settings.prompt_token_budget // 4))


def _evidence_citations(evidence: Sequence[Evidence]):
    from rag.types import Citation

    seen = set()
    for e in sorted(evidence, key=lambda e: -e.score):
        if e.n in seen:
            continue
        seen.add(e.n)
        yield Citation(n=e.n, hit=e.hit, sentence=e.sentence, support=e.score)
        if len(seen) == 2:
            return
