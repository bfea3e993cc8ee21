"""What the chat page's buttons do, as plain classes over an ``AnswerService`` (no Gradio here).

``ChatHandler`` adds a question to the conversation, streams its answer and clears the
conversation; ``DocumentsHandler`` shows the indexed documents, adds uploads, removes a
document and re-ingests the corpus folder. ``ui.app`` lays the page out and turns their
results into Gradio outputs.

Example:
    >>> chat = ChatHandler(pipeline, settings)  # doctest: +SKIP
    >>> history, box, pending = chat.submit("LLM or fine-tuned model for NER?", [])  # doctest: +SKIP
    >>> for update in chat.respond(history, pending, [], top_k=5, max_tokens=200): ...  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from core.errors import user_message
from core.settings import Settings
from ingest.index import IndexStoreError, IngestLockedError
from ingest.pipeline import IngestProgress, ingest_paths
from ingest.types import IndexedDocument
from ingest.uploads import UploadReport, add_uploads, remove_upload
from rag.question import QuestionError, validate_question
from rag.types import Answer, AnswerEvent, SourcesEvent, TokenEvent
from ui import i18n, render
from ui.conversations import ConversationStore, ConversationSummary, Turn
from ui.export import conversation_json, conversation_markdown
from ui.protocols import AnswerService
from ui.viewer import ViewerError, ViewerTarget, viewer_html

log = logging.getLogger(__name__)

LOCKED_MESSAGE = i18n.text("locked", i18n.DEFAULT)
EMPTY_TABLE = [[i18n.text("no_documents", i18n.DEFAULT), "", 0, "", ""]]

Message = dict  # one chat message: {"role": "user" | "assistant", "content": markdown}


def warm_up(service: AnswerService, prime_model: bool = True) -> None:
    """Get the index, the embedder and the model's prompt cache ready, so the first question after
    start is not the slow one (see ``RagPipeline.warm_up``)."""
    try:
        service.warm_up(prime_model)
    except IndexStoreError as exc:
        log.warning("no index to warm up: %s", exc)


def _assistant(content: str) -> Message:
    return {"role": "assistant", "content": content}


def _text(message: Message) -> str:
    """A message's text, whether its content is a string or a list of parts (as the page sends it back)."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def answer_position(history: Sequence[Message], index: int) -> int:
    """The saved turn (1-based) the message at ``index`` belongs to: the answers before it (a notice about a
    bad question is not one) plus one."""
    if not 0 <= index < len(history):
        return 0
    return 1 + sum(1 for m in history[:index] if m.get("role") == "assistant"
                   and not _text(m).startswith(render.NOTICE_START))


# ---------------------------------------------------------------- chat


@dataclass(frozen=True)
class ChatUpdate:
    """One step of an answer: the conversation, the sources panel, the pending question, the questions so far."""

    history: list[Message]
    sources: str | None  # None: the sources panel stays as it is
    pending: str | None  # the question being answered; None once answered or failed
    questions: list[str]  # the conversation's answered questions, oldest first
    conversation: str | None  # the saved conversation's id (None until its first answer)


def conversation_store(settings: Settings) -> ConversationStore:
    return ConversationStore(settings.data_dir / "conversations.sqlite")


class ChatHandler:
    def __init__(self, service: AnswerService, settings: Settings, store: ConversationStore | None = None):
        self.service = service
        self.settings = settings
        self.model_name = service.generator.name
        self.store = store or conversation_store(settings)

    def submit(self, message: str, history: list[Message], language: str = i18n.DEFAULT
               ) -> tuple[list[Message], str, str | None]:
        """Add the question to the conversation at once: (history, text left in the box, pending question).

        A bad question gets its reason (in the page's ``language``) in the conversation and stays in the
        box so it can be fixed.
        """
        history = list(history or [])
        text = message or ""
        try:
            question = validate_question(text, self.settings.max_question_chars)
        except QuestionError as exc:
            if text.strip():
                history.append({"role": "user", "content": render.esc(render.one_line(text, 300))})
            history.append(_assistant(render.notice_markdown(i18n.error_text(str(exc), language))))
            return history, text if text.strip() else "", None
        history.append({"role": "user", "content": render.esc(question)})
        history.append(_assistant(render.waiting_markdown(i18n.text("searching", language))))
        return history, "", question

    def respond(self, history: list[Message], pending: str | None, questions: Sequence[str],
                top_k: float, max_tokens: float, conversation: str | None = None, user: str = "",
                documents: Sequence[str] = (), language: str = i18n.DEFAULT) -> Iterator[ChatUpdate]:
        """Answer ``pending``: the sources preview, the answer token by token, then the final answer,
        saved in ``conversation`` (a new one when it is None or not the user's). ``documents``: the
        doc ids to search (none: all); ``language``: the page's, for its own words."""
        history = list(history or [])
        questions = list(questions or [])
        if not pending:
            yield ChatUpdate(history, None, None, questions, conversation)
            return
        if not history or history[-1].get("role") != "assistant":
            history.append(_assistant(""))
        turn = len(questions) + 1
        yield ChatUpdate(list(history), render.sources_searching(language), pending, questions, conversation)
        try:
            answer = yield from self._stream(history, pending, questions, turn, top_k, max_tokens, conversation,
                                             list(documents or ()) or None, language)
        except QuestionError as exc:
            history[-1] = _assistant(render.notice_markdown(i18n.error_text(str(exc), language)))
            yield ChatUpdate(history, render.sources_placeholder(language), None, questions, conversation)
            return
        except Exception as exc:  # keep the page usable; the details go to the server log
            log.exception("answering failed")
            known = user_message(exc)
            reason = (i18n.error_text(known, language) if known is not None
                      else i18n.text("see_log", language, kind=type(exc).__name__))
            history[-1] = _assistant(render.notice_markdown(i18n.text("answer_failed", language, reason=reason)))
            yield ChatUpdate(history, None, None, questions, conversation)
            return
        scope = self._titles(documents)
        conversation = self._save(conversation, user, answer, scope)
        history[-1] = _assistant(render.answer_markdown(answer, turn) + render.scope_markdown(scope))
        yield ChatUpdate(history, render.sources_for_answer(answer, turn, self.model_name, language), None,
                         questions + [pending], conversation)

    def _titles(self, documents: Sequence[str]) -> tuple[str, ...]:
        if not documents:
            return ()
        known = self.service.retriever().index.documents
        return tuple(known[d].title if d in known else d for d in documents)

    def _save(self, conversation: str | None, user: str, answer: Answer, scope: tuple[str, ...]) -> str | None:
        """Add the answered question to the saved conversation; a failed save is logged, the answer still shown."""
        try:
            if not self.store.exists(conversation, user):
                conversation = self.store.create(user)
            self.store.add_turn(conversation, user, answer, scope)
        except Exception:
            log.exception("could not save the conversation")
        return conversation

    def _stream(self, history: list[Message], pending: str, questions: list[str], turn: int,
                top_k: float, max_tokens: float, conversation: str | None, documents: list[str] | None,
                language: str) -> Iterator[ChatUpdate]:
        """The updates while ``pending`` is answered (``history[-1]`` is the answer so far); returns the Answer."""
        answer: Answer | None = None
        text = ""
        for event in self.service.stream(pending, history=tuple(questions), top_k=int(top_k),
                                         max_answer_tokens=int(max_tokens), documents=documents):
            if isinstance(event, SourcesEvent):
                waiting = (i18n.text("waiting_nearest", language) if event.will_refuse
                           else i18n.text("waiting_found", language, n=len(event.hits)))
                history[-1] = _assistant(render.waiting_markdown(waiting))
                yield ChatUpdate(list(history), render.sources_preview(event, turn, language), pending, questions,
                                 conversation)
            elif isinstance(event, TokenEvent):
                text = event.text if event.restart else text + event.text
                history[-1] = _assistant(render.streaming_markdown(text))
                yield ChatUpdate(list(history), None, pending, questions, conversation)
            elif isinstance(event, AnswerEvent):
                answer = event.answer
        assert answer is not None
        return answer

    def regenerate(self, history: list[Message], questions: Sequence[str], conversation: str | None, user: str = "",
                   language: str = i18n.DEFAULT) -> tuple[list[Message], str | None, list[str]]:
        """Answer the last question again: (history without its answer, the question as pending, the questions
        before it). Its saved turn is forgotten (its rating, if any, stays); the new answer replaces it."""
        questions = list(questions or [])
        history = list(history or [])
        last_user = max((i for i, m in enumerate(history) if m.get("role") == "user"), default=None)
        if not questions or last_user is None:
            return history, None, questions
        self.store.drop_turns(conversation, user, len(questions))
        history = history[: last_user + 1] + [_assistant(render.waiting_markdown(i18n.text("searching", language)))]
        return history, questions[-1], questions[:-1]

    def edit(self, history: list[Message], questions: Sequence[str], conversation: str | None, index: int,
             question: str, user: str = "", language: str = i18n.DEFAULT
             ) -> tuple[list[Message], str, str | None, list[str]]:
        """Ask ``question`` instead of the question at message ``index``: the conversation from there on is
        forgotten (shown and saved). Returns (history, text left in the box, pending question, questions)."""
        history = list(history or [])
        if not 0 <= index < len(history) or history[index].get("role") != "user":
            return history, "", None, list(questions or [])
        position = answer_position(history, index)
        self.store.drop_turns(conversation, user, position)
        kept = list(questions or [])[: position - 1]
        history, box, pending = self.submit(question, history[:index], language)
        return history, box, pending, kept

    def rate(self, history: Sequence[Message], index: int, liked: bool, conversation: str | None,
             user: str = "") -> int:
        """Thumbs up (``liked``) or down on the answer at message ``index``, stored with the question, the
        answer, its citations and the index version; returns the rated turn (0: nothing was rated)."""
        position = answer_position(history, index)
        try:
            version = str(self.service.retriever().index.version)
        except IndexStoreError:
            version = ""
        rated = self.store.rate(conversation, user, position, 1 if liked else -1, index_version=version)
        return position if rated else 0

    def comment(self, conversation: str | None, position: int, comment: str, user: str = "") -> bool:
        """The comment on the latest rating of turn ``position``."""
        return bool(position) and bool((comment or "").strip()) and self.store.comment(conversation, user, position,
                                                                                        comment)

    def clear(self, language: str = i18n.DEFAULT) -> tuple[list[Message], str, None, list[str], str]:
        """A new conversation: (history, sources panel, pending question, questions, question box)."""
        return [], render.sources_placeholder(language), None, [], ""


# ---------------------------------------------------------------- saved conversations


@dataclass(frozen=True)
class ConversationView:
    """A saved conversation shown again: the chat, the last answer's sources, its questions, its id."""

    history: list[Message]
    sources: str
    questions: list[str]
    conversation: str | None


def conversation_messages(turns: Sequence[Turn]) -> list[Message]:
    history: list[Message] = []
    for n, turn in enumerate(turns, start=1):
        history.append({"role": "user", "content": render.esc(turn.question)})
        history.append(_assistant(render.answer_markdown(turn.answer, n) + render.scope_markdown(turn.scope)))
    return history


class ConversationsHandler:
    """The sidebar: list, open, rename, delete and export the user's saved conversations."""

    def __init__(self, store: ConversationStore, model_name: str = ""):
        self.store = store
        self.model_name = model_name

    def list(self, user: str) -> list[ConversationSummary]:
        return self.store.list(user)

    def choices(self, user: str) -> list[tuple[str, str]]:
        """(title, id) for the sidebar, newest first."""
        return [(c.title or "…", c.id) for c in self.store.list(user)]

    def open(self, conversation: str | None, user: str, language: str = i18n.DEFAULT) -> ConversationView:
        """``conversation`` as saved; an unknown one or another user's opens empty."""
        turns = self.store.turns(conversation, user)
        if not turns:
            known = self.store.exists(conversation, user)
            return ConversationView([], render.sources_placeholder(language), [], conversation if known else None)
        sources = render.sources_for_answer(turns[-1].answer, len(turns), self.model_name, language)
        return ConversationView(conversation_messages(turns), sources, [t.question for t in turns], conversation)

    def source_reference(self, raw: str, conversation: str | None, user: str) -> str:
        """A viewer reference (JSON: doc, page, sentence) for ``raw``; a reference to citation ``n`` of saved
        turn ``turn`` (JSON: turn, n; an earlier turn's, whose card is no longer on the page) is looked up
        in ``conversation``. Anything else is returned as it is (the viewer says what is wrong with it)."""
        try:
            wanted = json.loads(raw)
            turn, n = int(wanted["turn"]), int(wanted["n"])
        except (ValueError, TypeError, KeyError):
            return raw
        turns = self.store.turns(conversation, user)
        citation = next((c for c in turns[turn - 1].answer.citations if c.n == n), None) if 1 <= turn <= len(turns) else None
        if citation is None:
            return raw
        return json.dumps({"doc": citation.hit.document.doc_id, "page": citation.hit.chunk.page,
                           "sentence": citation.sentence}, ensure_ascii=False)

    def latest(self, user: str) -> str | None:
        found = self.store.list(user)
        return found[0].id if found else None

    def rename(self, conversation: str | None, user: str, title: str) -> bool:
        return bool(conversation) and self.store.rename(conversation, user, title)

    def delete(self, conversation: str | None, user: str) -> bool:
        return bool(conversation) and self.store.delete(conversation, user)

    def export(self, conversation: str | None, user: str, fmt: str, folder: Path) -> Path | None:
        """Write the conversation as ``fmt`` ("md" or "json") into ``folder``; None when there is nothing to write."""
        turns = self.store.turns(conversation, user)
        if not turns:
            return None
        title = self.store.title(conversation, user)
        text = conversation_markdown(title, turns) if fmt == "md" else conversation_json(title, turns)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"conversation-{conversation[:8]}.{'md' if fmt == 'md' else 'json'}"
        path.write_text(text, encoding="utf-8")
        return path


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class DocumentsView:
    """The documents tab after an action: its status message, the table, the remove choices and the index line."""

    status: str
    rows: list[list]
    choices: list[tuple[str, str]]  # (label, source)
    info: str  # the models and the index size, markdown


class DocumentsHandler:
    def __init__(self, service: AnswerService, settings: Settings):
        self.service = service
        self.settings = settings
        self.model_name = service.generator.name

    def documents(self) -> list[IndexedDocument]:
        try:
            return list(self.service.retriever().index.documents.values())
        except IndexStoreError:
            return []

    def rows(self, language: str = i18n.DEFAULT) -> list[list]:
        return render.document_rows(self.documents()) or [[i18n.text("no_documents", language), "", 0, "", ""]]

    def choices(self) -> list[tuple[str, str]]:
        return render.document_choices(self.documents())

    def scope_choices(self) -> list[tuple[str, str]]:
        """(title, doc id) for the chat's document picker."""
        return [(d.title, d.doc_id) for d in sorted(self.documents(), key=lambda d: d.title.lower())]

    def index_info(self, language: str = i18n.DEFAULT) -> str:
        docs = self.documents()
        return i18n.text("index_info", language, model=self.model_name, embedder=self.settings.embedding_model,
                         documents=len(docs), chunks=sum(d.chunk_count for d in docs))

    def view(self, status: str = "", changed: bool = False, language: str = i18n.DEFAULT) -> DocumentsView:
        """The tab as it is now; ``changed``: the index was just changed, so answer from the new version now."""
        if changed:
            warm_up(self.service, prime_model=False)  # switch to the new index version now, not on the next question
        return DocumentsView(status, self.rows(language), self.choices(), self.index_info(language))

    def upload(self, files: Sequence[str | Path], progress: IngestProgress | None = None,
               language: str = i18n.DEFAULT) -> DocumentsView:
        if not files:
            return self.view(i18n.text("choose_files", language), language=language)
        before = {d.source for d in self.documents()}
        outcome = add_uploads(files, self.settings, lambda paths: ingest_paths(
            paths, self.settings, embedder=self.service.embedder, progress=progress))
        return self.view(self._upload_status(outcome, before, language), bool(outcome.added), language)

    def _upload_status(self, outcome: UploadReport, before: set[str], language: str) -> str:
        lines = [i18n.text("locked", language)] if outcome.locked else []
        docs = {d.source: d for d in self.documents()}
        unchanged = set(outcome.report.unchanged) if outcome.report else set()
        for path in outcome.added:
            d = docs.get(str(Path(path).resolve()))
            if d is None:
                continue
            verb = i18n.text("verb_unchanged" if d.source in unchanged else (
                "verb_updated" if d.source in before else "verb_added"), language)
            lines.append(i18n.text("doc_line", language, title=render.esc(d.title), languages=", ".join(d.languages),
                                   chunks=d.chunk_count, verb=verb))
        lines += [i18n.text("rejected", language, failure=failure) for failure in outcome.rejected]
        if outcome.report:
            lines.append(f"<small>{render.esc(outcome.report.summary())}</small>")
        return "\n\n".join(lines) or i18n.text("nothing_to_do", language)

    def remove(self, source: str | None, language: str = i18n.DEFAULT) -> DocumentsView:
        if not source:
            return self.view(i18n.text("pick_remove", language), language=language)
        title = next((d.title for d in self.documents() if d.source == source), source)
        try:
            report = remove_upload(source, self.settings)
        except IngestLockedError:
            return self.view(i18n.text("locked", language), language=language)
        if not report.removed:
            return self.view(i18n.text("not_in_index", language, title=render.esc(title)), language=language)
        return self.view(i18n.text("removed", language, title=render.esc(title)), True, language)

    def reingest_corpus(self, progress: IngestProgress | None = None, language: str = i18n.DEFAULT) -> DocumentsView:
        corpus = self.settings.corpus_dir
        try:
            report = ingest_paths([corpus], self.settings, embedder=self.service.embedder, progress=progress)
        except IngestLockedError:
            return self.view(i18n.text("locked", language), language=language)
        except IndexStoreError as exc:
            return self.view(f"✗ {render.esc(str(exc))}", language=language)
        lines = [i18n.text("reingested", language, folder=render.esc(str(corpus)), summary=render.esc(report.summary()))]
        lines += [i18n.text("failed", language, failure=render.esc(str(f))) for f in report.failed]
        return self.view("\n\n".join(lines), bool(report.added or report.changed or report.removed), language)


# ---------------------------------------------------------------- source viewer


@dataclass(frozen=True)
class ViewerView:
    html: str
    target: str | None  # the shown page as ViewerTarget JSON, for previous/next; None after an error


class ViewerHandler:
    """Opens a cited source at its sentence (``ui.viewer``), and moves page by page in a PDF."""

    def __init__(self, service: AnswerService, settings: Settings):
        self.service = service
        self.settings = settings

    def _show(self, target: ViewerTarget, language: str) -> ViewerView:
        try:
            index = self.service.retriever().index
            html = viewer_html(target, index.documents, int(self.settings.max_file_mb * 1e6), index.ocr_page)
        except (ViewerError, IndexStoreError) as exc:
            return ViewerView(render.notice_markdown(i18n.error_text(str(exc), language)), None)
        return ViewerView(html, target.to_json())

    def open(self, raw: str, language: str = i18n.DEFAULT) -> ViewerView:
        """From a click on a citation or a source card (JSON: doc, page, sentence)."""
        try:
            return self._show(ViewerTarget.parse(raw), language)
        except ViewerError as exc:
            return ViewerView(render.notice_markdown(i18n.error_text(str(exc), language)), None)

    def move(self, shown: str | None, delta: int, language: str = i18n.DEFAULT) -> ViewerView | None:
        """The previous (-1) or next (+1) page; None when there is no page to move to."""
        if not shown:
            return None
        target = ViewerTarget.from_json(shown)
        if target.page is None or target.page + delta < 1:
            return None
        view = self._show(target.moved(delta), language)
        return view if view.target else None
