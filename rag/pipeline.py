"""Answer a question from the index: one stage after another, each a module of its own.

question (rag.question) → retrieve (rag.retrieve) → evidence (rag.evidence) → answerability
(rag.answerability: refuse before the model runs) → twins (rag.twins: a sentence in another
language stands in as the corpus's own translation of it, where the corpus holds one) → draft
(rag.draft: the model's reply and its retry policy) → verify (rag.verify: drop what nothing shown states, match claims to passages;
rag.lead: the sentences saying the question again go first) → lead check (rag.lead: a reply that only restates the
question is dropped) → compose
(rag.compose: the verified reply as a lead, then the best evidence sentences in the
question's language) → the figure or name asked for (rag.measures, rag.who) → Answer.

The small default model is not trusted to decide whether the documents answer, to cite, or to keep
the question's language: refusal is decided from the evidence and the question's terms; its
NO_ANSWER alone refuses nothing; citations are attached by matching sentences to passages; and
what the asker reads is built around the documents' own sentences.

Example:
    >>> pipeline = RagPipeline.from_settings(Settings.load())  # doctest: +SKIP
    >>> answer = pipeline.answer("Quand faut-il distiller un modèle ?")  # doctest: +SKIP
    >>> answer.text, [c.n for c in answer.citations]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Generator as Gen
from typing import Collection, Iterator, Mapping, Sequence

import numpy as np

from core.settings import Settings
from ingest.embed import Embedder
from ingest.embed_cache import TextEmbedder
from ingest.index import Index, IndexStoreError, current_version, open_index
from rag.answerability import signals, written_as_names
from rag.checks import asks_quantity, figure_parts, is_prose, states_asked_quantity
from rag.compose import AnswerBase, compose_answer, quote_evidence, refusal
from rag.draft import draft_answer
from rag.evidence import as_read, best_score, select_evidence
from rag.keyword_store import KeywordStore
from rag.llm.base import Generator, PromptPinning
from rag.llm.factory import load_generator
from rag.measures import counted_measures, counted_words, states_asked_measure
from rag.names import NameSpellings, in_latin, latin_headings, latin_spellings
from rag.prompt import build_messages, fit_prompt
from rag.question import Question, asking_sentences, prepare_question, question_parts
from rag.retrieve import HybridRetriever, RetrievalConfig
from rag.types import Answer, AnswerEvent, Event, Evidence, Hit, SourcesEvent, TokenEvent
from rag.lead import lead_fault, without_restatements
from rag.licence import asks_licence, names_a_licence
from rag.twins import corpus_translations, with_twins
from rag.who import asks_which_model, asks_who, names_someone, names_the_model
from rag.verify import checked_text, source_passages, verified_citations

log = logging.getLogger(__name__)


class RagPipeline:
    """The answering pipeline over the live index version (re-opened when an ingest commits)."""

    def __init__(self, settings: Settings, embedder: TextEmbedder, generator: Generator | None = None):
        self.settings = settings
        self.embedder = embedder
        self._generator = generator
        self._generator_lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._index: Index | None = None
        self._retriever: HybridRetriever | None = None
        self._spellings: NameSpellings | None = None

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
                index = open_index(self.settings.index_dir)
                if index.embedding_model and index.embedding_model != self.embedder.model_id:
                    # Questions embedded by another model than the passages were would retrieve noise.
                    raise IndexStoreError(
                        f"{self.settings.index_dir}: the index was built with the embedding model "
                        f"{index.embedding_model}, not the configured {self.embedder.model_id}; run "
                        "`survey-rag ingest` to rebuild it with the configured model, or configure the one it was built with")
                self._index = index
                self._retriever = HybridRetriever(
                    self._index, self.embedder, RetrievalConfig(candidate_k=self.settings.candidate_k),
                    KeywordStore(self.settings.keyword_cache_dir, self.settings.index_dir),
                )
                self._spellings = NameSpellings(index)
                log.info("answering from index version %s", self._index.version)
            return self._retriever

    def warm_up(self, prime_model: bool = True) -> None:
        """Open the live index, build its keyword index, run the query embedder (and Kiwi) once and,
        with ``prime_model``, put the fixed instructions in the model's prompt cache: the first
        question then costs what every later one does. Raises IndexStoreError without an index."""
        self.search("디코더 전용 모델 decoder-only models", 1)
        if prime_model:
            messages = build_messages("?", "en", [])  # the fixed instructions, as every question starts
            if isinstance(self.generator, PromptPinning):  # llama.cpp in-process; a server keeps its own
                self.generator.pin_prompt(messages)
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
               max_answer_tokens: int | None = None, documents: Sequence[str] | None = None) -> Iterator[Event]:
        """Yield SourcesEvent, then TokenEvents, then one AnswerEvent.

        ``history`` holds the previous questions of the conversation, oldest first; ``documents``
        (doc ids), when given, restricts retrieval to those documents (a question they do not answer
        is refused with their nearest passages).
        """
        started, s = time.monotonic(), self.settings
        asked = prepare_question(question, history, s.max_question_chars)
        retriever = self.retriever()
        scope = frozenset(documents) if documents is not None else None
        hits, evidence = self._retrieve(retriever, asked, top_k or s.top_k, scope)
        base = AnswerBase(asked, tuple(hits), {"retrieval_s": time.monotonic() - started})
        checked = signals(asked.text, hits, evidence)
        if checked.missing:
            log.info("question terms in no retrieved passage: %s", ", ".join(checked.missing))
        refuse = checked.refuse(s.refusal_threshold, s.missing_term_threshold)
        if not refuse:
            # The corpus's own translations stand in for sentences in another language (rag.twins).
            evidence = with_twins(evidence, corpus_translations(evidence, hits, retriever.index, asked.language,
                                                                self._embed_sentences, s.translation_floor))
            # Whatever the question, the context and the passages cost, the prompt fits the budget.
            evidence, context = fit_prompt(asked.text, asked.language, evidence, asked.context,
                                           s.prompt_token_budget, self.generator.count_tokens)
            asked = Question(asked.text, asked.language, asked.search_text, context)
        yield SourcesEvent(tuple(hits), tuple(evidence), asked.language, refuse)
        if refuse:
            yield self._finish(refusal(base), started)
            return

        sure = best_score(evidence) >= s.sure_evidence_threshold
        draft = yield from _timed(draft_answer(self.generator, asked, evidence, s, sure, max_answer_tokens), base, started)
        text = checked_text(draft.text, asked, evidence)
        # Every claim invented while the evidence is not clearly close: the figure or name asked for is not
        # there. The model's NO_ANSWER alone refuses nothing: past the answerability gate it was wrong for 5
        # of the 6 dev questions it refused (answerable ones); the evidence sentences answer instead.
        if draft.text and not text and not sure:
            yield self._finish(refusal(base), started)
            return
        text = without_restatements(text, asked.text, asked.language)
        passages = source_passages(retriever.index, evidence)
        cited = verified_citations(text, asked.language, passages, self._embed_sentences, evidence, s)
        fault = (lead_fault(cited.text, asked.text, asked.language, [e.sentence for e in evidence], cited.grounds)
                 if cited else None)
        if fault:
            log.info("the model's reply %s; the evidence sentences answer alone", fault)
            cited = None
        quotes = yield from _timed(quote_evidence(asked, evidence, self.generator, self._embed_sentences, s,
                                                  cited.text if cited else "", retriever.index),
                                   base, started)
        answer = compose_answer(base, cited, quotes, evidence)
        asks_figure = any(asks_quantity(sentence) for sentence in asking_sentences(asked.text))
        asks_model = asks_which_model(asked.text)
        names = written_as_names(asked.text, [e.hit.chunk.text for e in evidence]) if asks_figure or asks_model else ()
        latin = latin_spellings(evidence, self._spellings) if asks_figure and self._spellings else {}
        if asks_figure and not states_asked_figure(asked.text, answer.text, evidence, names, latin):
            # The sentence stating the figure may rank below those the answer had room for: BloombergGPT's
            # "… 500억 개의 매개변수를 할당합니다." came fourth of its evidence (probe set 3). Those sentences
            # alone answer then.
            # A formula's constants state nothing: "ReGLU(x,W,V,b,c) = max(0,xW + b)⊗," answered "which value of β?"
            # with its 0 (probe set 14).
            stating = [e for e in evidence
                       if is_prose(e.sentence) and states_asked_figure(asked.text, f"{as_read(e)} [{e.n}]", [e], names, latin)]
            if stating:
                log.info("the answer states no figure asked for; quoting the evidence sentences that do")
                quotes = yield from quote_evidence(asked, stating, self.generator, self._embed_sentences, s, "",
                                                   retriever.index)
                if quotes:  # (not the sentence in another language: the asker reads the answer's language)
                    answer = compose_answer(base, None, quotes, stating)
            # Asked for a figure, and the answer states none about what the question names: the passages
            # discuss the model but not that attribute. On the dev set, four unanswerable questions (BLOOM's
            # languages, LLaMA-2's context window, …) were answered with true sentences stating no figure.
            if not states_asked_figure(asked.text, answer.text, evidence, names, latin):
                log.info("the answer states no figure of what the question asks; refusing")
                answer = refusal(base)
        if asks_who(asked.text) and not answer.refused and not names_someone(
                asked.text, answer.text, " ".join(as_read(e) for e in evidence)):
            log.info("the question asks who; the answer names no one the evidence names; refusing")
            answer = refusal(base)
        if asks_model and not answer.refused and not names_the_model(
                asked.text, answer.text, [s for read in _sentences_by_passage(evidence).values() for s in read], names):
            log.info("the question asks which model; the answer names none the evidence names with what it asks about; "
                     "refusing")
            answer = refusal(base)
        if any(map(asks_licence, asking_sentences(asked.text))) and not answer.refused and not names_a_licence(answer.text):
            log.info("the question asks which licence; the answer names none; refusing")
            answer = refusal(base)
        yield self._finish(answer, started)

    def evidence(self, question: str, top_k: int | None = None) -> tuple[list[Hit], list[Evidence]]:
        """The passages and evidence sentences ``stream`` would answer a first question from, without
        generating: what the refusal threshold judges (``survey-rag eval --folds``)."""
        asked = prepare_question(question, (), self.settings.max_question_chars)
        return self._retrieve(self.retriever(), asked, top_k or self.settings.top_k, None)

    def _retrieve(self, retriever: HybridRetriever, asked: Question, k: int, documents: frozenset[str] | None
                  ) -> tuple[list[Hit], list[Evidence]]:
        """The passages (of ``documents`` only, when given), and the sentences of them that best answer the question."""
        query_vec, search_vec = retriever.query_vectors(asked.search_text)
        hits = retriever.search(asked.search_text, k, search_vec, documents)
        # One at a time, as the question is (``HybridRetriever.query_vectors``).
        part_vecs = [retriever.embedder.encode_queries([part])[0] for part in question_parts(asked.text)]
        evidence = select_evidence(hits, retriever.index, query_vec, max_sentences=self.settings.evidence_sentences,
                                   token_budget=evidence_budget(self.settings),
                                   context_sentences=self.settings.context_sentences, part_vecs=part_vecs)
        if asked.language != "ko" and self._spellings:  # "팬구-Σ" means nothing in a French or English answer
            evidence = latin_headings(evidence, self._spellings)
        return hits, evidence

    @staticmethod
    def _finish(answer: Answer, started: float) -> AnswerEvent:
        answer.timings["total_s"] = time.monotonic() - started
        return AnswerEvent(answer)

    def _embed_sentences(self, sentences: list[str]) -> np.ndarray:
        return self.embedder.encode_documents(sentences)


def _timed(events: Gen[TokenEvent, None, object], base: AnswerBase, started: float) -> Gen[TokenEvent, None, object]:
    """Relay the token events, noting when the first one came; return what ``events`` returns."""
    while True:
        try:
            event = next(events)
        except StopIteration as done:
            return done.value
        base.timings.setdefault("first_token_s", time.monotonic() - started)
        yield event


def states_asked_figure(question: str, answer: str, evidence: Sequence[Evidence], names: Collection[str] = (),
                        latin: Mapping[str, str] | None = None) -> bool:
    """``answer`` states a figure about what ``question`` names (``names``: the words opening a sentence of it that
    name something, ``rag.answerability.written_as_names``), and a sentence of ``evidence``'s passages that counts
    what the question counts states it (``rag.checks.states_asked_quantity``, ``rag.measures``). A count in words
    ("두 전문가") answers only a question counting what ``rag.measures`` knows, where a passage must state it, or naming
    what the question counts ("seventeen stars").

    A model named as the overview's findings headings write it, in Hangul (``latin``: those headings with their
    Latin spelling, ``rag.names.latin_spellings``), is that model in question and answer alike: "갤랙티카는 … 몇 에포크를
    돌렸고 … 몇 토큰이었어요?" named nothing the figure check knew, so Chinchilla's "친칠라: … 5000억 개의 토큰 …"
    answered it (probe set 20)."""
    if latin:
        question, answer = in_latin(question, latin), in_latin(answer, latin)
        names = {*names, *(name for name in latin.values() if name in question)}
    # A question asking several figures of several things is answered when each of its parts is: the kind of figure
    # one part asks is not the other's. To "mT5 couvre combien de langues et avec quelle taille de vocabulaire ? Et
    # LaMDA, quelle part de son pré-entraînement est en anglais ?", "mT5 couvre 101 langues … 250,000 mots. [1] LaMDA :
    # … plus de 90% en anglais. [2]" was refused: read as one question, it asks a share and counts languages
    # (probe set 30).
    if _states_figure_asked(question, answer, evidence, names):
        return True
    parts = figure_parts(question, names)
    return bool(parts) and all(_states_figure_asked(part, answer, evidence, names) for part in parts)


def _states_figure_asked(question: str, answer: str, evidence: Sequence[Evidence], names: Collection[str]) -> bool:
    spelled = bool(counted_measures(question) or counted_words(question))
    return (states_asked_quantity(question, answer, spelled, names)
            and states_asked_measure(question, answer, _sentences_by_passage(evidence), names))


def _sentences_by_passage(evidence: Sequence[Evidence]) -> dict[int, list[str]]:
    """Each passage's sentences by its number [n], and the evidence sentences shown for it (a corpus translation
    may stand in for one of its own, ``rag.twins``)."""
    sentences: dict[int, list[str]] = {}
    for e in evidence:
        sentences.setdefault(e.n, list(e.hit.chunk.sentence_texts())).extend((e.sentence, as_read(e)))
    return sentences


def evidence_budget(settings: Settings) -> int:
    """Tokens left for evidence once instructions, question and answer are accounted for."""
    return max(120, min(settings.evidence_token_budget, settings.prompt_token_budget // 3))
