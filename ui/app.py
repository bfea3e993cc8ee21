"""The chat page: a Gradio app over one ``RagPipeline`` (models loaded once): its layout and wiring.

Chat tab: the question is added to the conversation at once (``/submit``), then answered by
``/respond``, which runs one request at a time (the queue shows the position) and streams:
the retrieved passages and their best sentences first, then the answer token by token, then
the final answer with ``[n]`` references linked to source cards in the sources panel.

Documents tab: the indexed documents; upload .txt/.md/.pdf files (checked, sanitised, copied
into ``<data_dir>/uploads`` and ingested from there), remove a document, re-ingest the
corpus folder. Questions asked during an ingest are answered from the previous index
version until the new one is committed.

What the buttons do lives in ``ui.handlers`` (plain classes, no Gradio); the upload
transaction in ``ingest.uploads``.

Example:
    >>> app = build_app(RagPipeline.from_settings(settings), settings)  # doctest: +SKIP
    >>> url = launch(app, settings, block=False)  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr
import pandas as pd

from core.progress import STAGE_LABELS
from core.settings import Settings
from ingest.pipeline import IngestProgress
from rag.llm.factory import answer_slots
from ui import i18n, render
from ui.handlers import (ChatHandler, ChatUpdate, ConversationsHandler, ConversationView, DocumentsHandler,
                         DocumentsView, ViewerHandler, ViewerView)
from ui.protocols import AnswerService

EXAMPLES = [
    "디코더 전용 모델이 왜 주류가 되었나?",
    "Un modèle affiné a-t-il encore sa place face à un LLM ?",
    "LLM or fine-tuned model for NER?",
]

CSS = """
#sr-header h2 { margin-bottom: 0; }
#sr-header p { margin-top: 2px; color: var(--body-text-color-subdued); }
.sr-sources { max-height: 640px; overflow-y: auto; font-size: 0.92em; padding-right: 4px; }
.sr-status { padding: 7px 10px; border-radius: 6px; margin-bottom: 8px; font-weight: 500; }
.sr-status-idle { color: var(--body-text-color-subdued); border: 1px dashed var(--border-color-primary); font-weight: 400; }
.sr-status-preview { background: rgba(59, 130, 246, 0.12); }
.sr-status-done { background: rgba(16, 185, 129, 0.13); }
.sr-status-refused { background: rgba(245, 158, 11, 0.16); }
.sr-timing { display: block; font-weight: 400; font-size: 0.82em; opacity: 0.75; margin-top: 2px; }
.sr-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
           margin-bottom: 8px; background: var(--block-background-fill); transition: box-shadow 0.3s; }
.sr-card.sr-preview { border-style: dashed; }
.sr-card.sr-near { opacity: 0.85; }
.sr-card.sr-flash { box-shadow: 0 0 0 3px #f59e0b; }
.sr-card-head { font-weight: 600; }
.sr-n { color: #2563eb; margin-right: 6px; }
.sr-meta { margin-top: 3px; }
.sr-badge { display: inline-block; font-size: 0.8em; padding: 0 7px; border-radius: 9px; margin: 1px 4px 1px 0;
            background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.sr-score { background: rgba(99, 102, 241, 0.14); }
.sr-passage { margin-top: 6px; line-height: 1.55; }
.sr-passage mark { background: rgba(250, 204, 21, 0.55); color: inherit; padding: 0 1px; border-radius: 2px; }
.sr-others summary { cursor: pointer; color: var(--body-text-color-subdued); }
.sr-others li { margin: 6px 0; }
.sr-refusal { border-left: 4px solid #f59e0b; background: rgba(245, 158, 11, 0.13); padding: 8px 12px; border-radius: 6px; }
.sr-note { border-left: 4px solid #94a3b8; background: rgba(148, 163, 184, 0.16); padding: 6px 10px; border-radius: 6px; }
.sr-notice { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 6px; }
.sr-ref a, a.sr-cite { text-decoration: none !important; font-weight: 600; color: #2563eb !important; cursor: pointer; }
.sr-waiting { color: var(--body-text-color-subdued); font-style: italic; }
#sr-examples button { font-size: 0.85em; }
#sr-documents, #sr-documents * { font-family: var(--font) !important; }
.sr-card[data-doc] { cursor: pointer; }
.sr-viewer-head { margin-bottom: 6px; }
.sr-page { position: relative; line-height: 0; border: 1px solid var(--border-color-primary); }
.sr-page-img { width: 100%; height: auto; display: block; }
.sr-hl { position: absolute; background: rgba(250, 204, 21, 0.38); outline: 2px solid #f59e0b; border-radius: 2px; }
.sr-text { max-height: 560px; overflow-y: auto; white-space: pre-wrap; line-height: 1.55; font-size: 0.92em; }
.sr-scope { font-size: 0.82em; color: var(--body-text-color-subdued); margin-top: 4px; }
.sr-text mark { background: rgba(250, 204, 21, 0.6); color: inherit; }
"""

# A click on an [n] reference scrolls to its source card and flashes it (instead of following the link);
# a click on a reference or a card opens the source viewer at the card's sentence (through the hidden
# target box and open button); a reference of an earlier turn, whose card is no longer shown, asks the
# server for that turn's citation; a marked sentence appearing in the viewer is scrolled into view.
HEAD = r"""
<script>
function srOpen(reference) {
  const box = document.querySelector('#sr-viewer-target textarea, #sr-viewer-target input');
  const open = document.querySelector('#sr-viewer-open');
  if (!box || !open) return;
  box.value = JSON.stringify(reference);
  box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(function () { open.click(); }, 30);
}
function srOpenSource(el) {
  if (el.dataset.doc) srOpen({doc: el.dataset.doc, page: el.dataset.page, sentence: el.dataset.sentence});
}
document.addEventListener('click', function (event) {
  const target = event.target && event.target.closest ? event.target : null;
  if (!target) return;
  const link = target.closest('a.sr-cite');
  const card = link ? null : target.closest('.sr-card[data-doc]');
  if (card) { srOpenSource(card); return; }
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const id = link.getAttribute('data-target') || (link.getAttribute('href') || '').replace(/^#/, '');
  const shown = id ? document.getElementById(id) : null;
  const earlier = /^src-(\d+)-(\d+)$/.exec(id || '');
  if (!shown && earlier) { srOpen({turn: +earlier[1], n: +earlier[2]}); return; }  // an earlier turn's: the server has it
  if (!shown) return;
  srOpenSource(shown);  // the chat strips data-* attributes from links: the card carries the source
  shown.scrollIntoView({behavior: 'smooth', block: 'center'});
  shown.classList.add('sr-flash');
  setTimeout(function () { shown.classList.remove('sr-flash'); }, 1800);
}, true);
new MutationObserver(function () {
  const hit = document.querySelector('#sr-viewer-panel .sr-viewer-hit:not([data-seen])');
  if (hit) { hit.setAttribute('data-seen', '1'); hit.scrollIntoView({block: 'center'}); }
}).observe(document.documentElement, {childList: true, subtree: true});
</script>
"""


def theme() -> gr.themes.Base:
    # Local fonts only: the page must work offline, and Korean needs a CJK font (Noto Sans CJK).
    return gr.themes.Soft(
        primary_hue="blue",
        font=["Noto Sans", "Noto Sans CJK KR", "system-ui", "sans-serif"],
        font_mono=["Noto Sans Mono", "DejaVu Sans Mono", "monospace"],
    )


# ---------------------------------------------------------------- handlers as Gradio events


def _chat_outputs(update: ChatUpdate) -> tuple:
    sources = gr.skip() if update.sources is None else update.sources
    return update.history, sources, update.pending, update.questions, update.conversation


def _user(request: gr.Request | None) -> str:
    """The logged-in user's name; empty without a login."""
    return (getattr(request, "username", None) or "") if request is not None else ""


def _table(rows: list[list], language: str) -> pd.DataFrame:
    """The documents table with its headers in ``language``."""
    return pd.DataFrame(rows, columns=render.document_headers(language))


def _doc_outputs(view: DocumentsView, language: str) -> tuple:
    return view.status, _table(view.rows, language), gr.Dropdown(choices=view.choices, value=None), view.info


def _progress_bar(progress: gr.Progress) -> IngestProgress:
    def report(stage: str, done: int, total: int) -> None:
        label = STAGE_LABELS.get(stage, stage).capitalize()
        if total:
            progress((done, total), desc=label, unit="items")
        else:
            progress(0, desc=label)
    return report


def _file_path(file: Any) -> Path:
    """An uploaded file's path, whether Gradio gives a path or a file object."""
    return Path(file) if isinstance(file, (str, Path)) else Path(getattr(file, "path", None) or file.name)


class _Events:
    """The handlers' methods with Gradio's inputs and outputs (Gradio fills in ``progress``)."""

    def __init__(self, chat: ChatHandler, docs: DocumentsHandler, saved: ConversationsHandler, exports: Path,
                 viewer: ViewerHandler):
        self.chat = chat
        self.docs = docs
        self.saved = saved
        self.exports = exports
        self.viewer = viewer

    # The viewer: outputs are (its box, its HTML, the shown page).

    @staticmethod
    def _viewer(view: ViewerView | None) -> tuple:
        if view is None:
            return gr.skip(), gr.skip(), gr.skip()
        return gr.Column(visible=True), view.html, view.target

    def open_source(self, raw: str, conversation: str | None, language: str, request: gr.Request) -> tuple:
        return self._viewer(self.viewer.open(self.saved.source_reference(raw, conversation, _user(request)),
                                             language))

    def previous_page(self, shown: str | None, language: str) -> tuple:
        return self._viewer(self.viewer.move(shown, -1, language))

    def next_page(self, shown: str | None, language: str) -> tuple:
        return self._viewer(self.viewer.move(shown, 1, language))

    def submit(self, message: str, history: list, language: str) -> tuple:
        return self.chat.submit(message, history, language)

    # Message actions: outputs as ``submit``'s plus the questions (the answer follows through ``respond``).

    def regenerate(self, history: list, questions: list, conversation: str | None, language: str,
                   request: gr.Request) -> tuple:
        history, pending, questions = self.chat.regenerate(history, questions, conversation, _user(request), language)
        return history, gr.skip(), pending, questions

    def edit(self, history: list, questions: list, conversation: str | None, language: str, edited: gr.EditData,
             request: gr.Request) -> tuple:
        index = edited.index if isinstance(edited.index, int) else edited.index[0]
        return self.chat.edit(history, questions, conversation, index, str(edited.value or ""), _user(request),
                              language)

    def rate(self, history: list, conversation: str | None, liked: gr.LikeData, request: gr.Request) -> tuple:
        """The rated turn, and the comment box shown for it."""
        index = liked.index if isinstance(liked.index, int) else liked.index[0]
        rated = self.chat.rate(history, index, bool(liked.liked), conversation, _user(request))
        return rated, gr.Row(visible=bool(rated))

    def comment(self, conversation: str | None, rated: int, comment: str, request: gr.Request) -> tuple:
        self.chat.comment(conversation, rated, comment, _user(request))
        return "", gr.Row(visible=False)

    def respond(self, history: list, pending: str | None, questions: list, top_k: float, max_tokens: float,
                conversation: str | None, documents: list | None, language: str,
                request: gr.Request) -> Iterator[tuple]:
        for update in self.chat.respond(history, pending, questions, top_k, max_tokens, conversation,
                                        _user(request), documents or (), language):
            yield _chat_outputs(update)

    # The sidebar: outputs are (chatbot, sources, questions, conversation, sidebar list).

    def _shown(self, view: ConversationView, user: str) -> tuple:
        return (view.history, view.sources, view.questions, view.conversation,
                gr.Radio(choices=self.saved.choices(user), value=view.conversation))

    def restore(self, conversation: str | None, language: str, request: gr.Request) -> tuple:
        """On page load: the conversation this browser had open, else the user's latest."""
        user = _user(request)
        if not self.saved.store.exists(conversation, user):
            conversation = self.saved.latest(user)
        return self._shown(self.saved.open(conversation, user, language), user)

    def open(self, conversation: str | None, language: str, request: gr.Request) -> tuple:
        return self._shown(self.saved.open(conversation, _user(request), language), _user(request))

    def new(self, language: str, request: gr.Request) -> tuple:
        return self._shown(ConversationView([], render.sources_placeholder(language), [], None), _user(request))

    def sidebar(self, conversation: str | None, request: gr.Request) -> tuple:
        """The sidebar list with ``conversation`` selected, and ``conversation`` for the browser to remember."""
        return gr.Radio(choices=self.saved.choices(_user(request)), value=conversation), conversation

    def rename(self, conversation: str | None, title: str, request: gr.Request) -> tuple:
        self.saved.rename(conversation, _user(request), title)
        return self.sidebar(conversation, request)[0], ""

    def delete(self, conversation: str | None, language: str, request: gr.Request) -> tuple:
        user = _user(request)
        self.saved.delete(conversation, user)
        return self._shown(self.saved.open(self.saved.latest(user), user, language), user)

    def _export(self, conversation: str | None, fmt: str, request: gr.Request) -> str | None:
        path = self.saved.export(conversation, _user(request), fmt, self.exports)
        return str(path) if path else None

    def export_markdown(self, conversation: str | None, request: gr.Request) -> str | None:
        return self._export(conversation, "md", request)

    def export_json(self, conversation: str | None, request: gr.Request) -> str | None:
        return self._export(conversation, "json", request)

    def scope(self, chosen: list | None) -> gr.Dropdown:
        """The chat's document picker over the documents indexed now, keeping the chosen ones still there."""
        choices = self.docs.scope_choices()
        ids = {i for _, i in choices}
        return gr.Dropdown(choices=choices, value=[c for c in chosen or () if c in ids])

    def documents(self, language: str) -> tuple:
        return _doc_outputs(self.docs.view(language=language), language)

    def upload(self, files: list | None, language: str, progress: gr.Progress = gr.Progress()) -> tuple:
        files = files if isinstance(files, list) else [files] if files else []
        if files:
            progress(0, desc=i18n.text("checking_files", language))
        view = self.docs.upload([_file_path(f) for f in files], _progress_bar(progress), language)
        return _doc_outputs(view, language) + (None,)  # and empty the file box

    def remove(self, source: str | None, language: str) -> tuple:
        return _doc_outputs(self.docs.remove(source, language), language)

    def reingest_corpus(self, language: str, progress: gr.Progress = gr.Progress()) -> tuple:
        progress(0, desc=i18n.text("checking_corpus", language))
        return _doc_outputs(self.docs.reingest_corpus(_progress_bar(progress), language), language)


# ---------------------------------------------------------------- the app


def build_app(service: AnswerService, settings: Settings | None = None) -> gr.Blocks:
    settings = settings or service.settings
    chat = ChatHandler(service, settings)
    docs = DocumentsHandler(service, settings)
    saved = ConversationsHandler(chat.store, chat.model_name)
    with gr.Blocks(title="Survey RAG", analytics_enabled=False) as app:
        page_language = gr.State(i18n.DEFAULT)  # the switch's choice, for the words the handlers write
        with gr.Row(equal_height=False):
            header = gr.Markdown(i18n.text("header", i18n.DEFAULT), elem_id="sr-header")
            language = gr.Radio(i18n.CHOICES, value=i18n.DEFAULT, label=i18n.text("language", i18n.DEFAULT),
                                elem_id="sr-language", scale=0, min_width=260)
        with gr.Tabs():
            with gr.Tab(i18n.text("tab_chat", i18n.DEFAULT), id="chat") as chat_page:
                chat_tab = _chat_tab(settings, docs)
            with gr.Tab(i18n.text("tab_documents", i18n.DEFAULT), id="documents") as docs_page:
                docs_tab = _documents_tab(settings, docs)
        def page_words(language: str) -> list:  # what is not a label: the documents tab's intro and table
            return [i18n.text("documents_intro", language, mb=f"{settings.max_upload_mb:g}"),
                    _table(docs.rows(language), language), docs.index_info(language)]

        loaded = _wire_language(app, language, page_language, [
            (header, "value", "header"), (language, "label", "language"), (chat_page, "label", "tab_chat"),
            (docs_page, "label", "tab_documents"), *_chat_labels(chat_tab), *_documents_labels(docs_tab)],
            [docs_tab.intro, docs_tab.table, chat_tab.info], page_words)
        # Exports go to the temporary folder, from which Gradio serves downloads.
        events = _Events(chat, docs, saved, Path(tempfile.gettempdir()) / "survey-rag-exports",
                         ViewerHandler(service, settings))
        answering = _wire_chat(chat_tab, events, page_language, answer_slots(settings))
        _wire_sidebar(chat_tab, events, loaded, page_language, answering)
        _wire_viewer(chat_tab, events, page_language)
        _wire_documents(docs_tab, chat_tab, events, loaded, page_language)
    return app


@dataclass(frozen=True)
class _ChatTab:
    chatbot: gr.Chatbot
    message: gr.Textbox
    send: gr.Button
    examples: list[gr.Button]
    clear: gr.Button
    top_k: gr.Slider
    max_tokens: gr.Slider
    info: gr.Markdown  # the models and the index size
    sources: gr.HTML
    pending: gr.State  # the question being answered
    questions: gr.State  # the conversation's answered questions
    conversation: gr.State  # the saved conversation open on this page
    remembered: gr.BrowserState  # the same, kept in the browser across reloads (not part of the API)
    saved: gr.Radio  # the sidebar's list of conversations
    new: gr.Button
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    export_md: gr.Button
    export_json: gr.Button
    download: gr.File
    viewer_box: gr.Column
    viewer: gr.HTML
    viewer_target: gr.Textbox  # hidden: a click on a citation writes the source to open here
    viewer_open: gr.Button  # hidden: then clicks this
    viewer_prev: gr.Button
    viewer_next: gr.Button
    viewer_close: gr.Button
    viewer_shown: gr.State  # the page shown, as ui.viewer.ViewerTarget JSON
    actions: gr.Accordion
    settings: gr.Accordion
    scope: gr.Dropdown  # the documents to ask; none chosen: all
    feedback: gr.Row  # shown after a thumbs up or down: an optional comment
    comment: gr.Textbox
    send_comment: gr.Button
    rated: gr.State  # the turn last rated on this page (0: none)


def _chat_tab(settings: Settings, docs: DocumentsHandler) -> _ChatTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=200, elem_id="sr-sidebar"):
            new = gr.Button("New conversation", size="sm", variant="primary", elem_id="sr-new")
            saved = gr.Radio(choices=[], value=None, label="Conversations", elem_id="sr-conversations")
            with gr.Accordion("Rename, delete, export", open=False, elem_id="sr-conv-actions") as actions:
                title = gr.Textbox(placeholder="New title", show_label=False, lines=1, elem_id="sr-title")
                rename = gr.Button("Rename", size="sm", elem_id="sr-rename")
                delete = gr.Button("Delete", size="sm", variant="stop", elem_id="sr-delete")
                with gr.Row():
                    export_md = gr.Button("Markdown", size="sm", elem_id="sr-export-md")
                    export_json = gr.Button("JSON", size="sm", elem_id="sr-export-json")
                download = gr.File(label="Export", interactive=False, elem_id="sr-export")
        with gr.Column(scale=3, min_width=380):
            chatbot = gr.Chatbot(
                label="Conversation", elem_id="sr-chat", height=520,
                placeholder="Ask a question below, or click an example. "
                            "Answers stream in; **[n]** marks the source passage.",
                buttons=["copy"], feedback_options=("Like", "Dislike"), editable="user", show_label=False,
            )
            with gr.Row(visible=False, elem_id="sr-feedback") as feedback:
                comment = gr.Textbox(show_label=False, lines=1, scale=8, elem_id="sr-comment",
                                     placeholder=i18n.text("comment_placeholder", i18n.DEFAULT))
                send_comment = gr.Button(i18n.text("send_comment", i18n.DEFAULT), size="sm", scale=1,
                                         elem_id="sr-send-comment")
            with gr.Row():
                message = gr.Textbox(
                    placeholder="Ask in Korean, French or English… (Enter to send)",
                    show_label=False, lines=1, max_lines=4, scale=8, elem_id="sr-question",
                    autofocus=True,
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="sr-ask")
            scope = gr.Dropdown(choices=[(t, i) for t, i in docs.scope_choices()], value=[], multiselect=True,
                                label=i18n.text("scope", i18n.DEFAULT), elem_id="sr-scope")
            with gr.Row(elem_id="sr-examples"):
                examples = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                clear = gr.Button("Clear conversation", size="sm", variant="stop", elem_id="sr-clear")
            with gr.Accordion("Settings", open=False, elem_id="sr-settings") as settings_box:
                top_k = gr.Slider(1, 10, value=min(max(settings.top_k, 1), 10), step=1,
                                  label="Passages to retrieve (top-k)")
                max_tokens = gr.Slider(32, 1024, value=min(max(settings.max_answer_tokens, 32), 1024),
                                       step=16, label="Answer length (max tokens)")
                info = gr.Markdown(docs.index_info())
        with gr.Column(scale=2, min_width=320):
            with gr.Column(visible=False, elem_id="sr-viewer-box") as viewer_box:
                viewer = gr.HTML(elem_id="sr-viewer-panel")
                with gr.Row():
                    viewer_prev = gr.Button("◀ Previous page", size="sm", elem_id="sr-viewer-prev")
                    viewer_next = gr.Button("Next page ▶", size="sm", elem_id="sr-viewer-next")
                    viewer_close = gr.Button("Close", size="sm", elem_id="sr-viewer-close")
            viewer_target = gr.Textbox(visible="hidden", elem_id="sr-viewer-target")
            viewer_open = gr.Button(visible="hidden", elem_id="sr-viewer-open")
            sources = gr.HTML(render.sources_placeholder(), elem_id="sr-sources-panel", js_on_load=None)
    return _ChatTab(chatbot, message, send, examples, clear, top_k, max_tokens, info, sources,
                    gr.State(None), gr.State([]), gr.State(None), gr.BrowserState(None, storage_key="sr-conversation"),
                    saved, new, title, rename, delete, export_md, export_json, download,
                    viewer_box, viewer, viewer_target, viewer_open, viewer_prev, viewer_next, viewer_close,
                    gr.State(None), actions, settings_box, scope, feedback, comment, send_comment, gr.State(0))


@dataclass(frozen=True)
class _DocumentsTab:
    intro: gr.Markdown
    table: gr.Dataframe
    files: gr.File
    add: gr.Button
    picker: gr.Dropdown
    remove: gr.Button
    reingest: gr.Button
    status: gr.Markdown


def _documents_tab(settings: Settings, docs: DocumentsHandler) -> _DocumentsTab:
    intro = gr.Markdown(i18n.text("documents_intro", i18n.DEFAULT, mb=f"{settings.max_upload_mb:g}"))
    table = gr.Dataframe(value=docs.rows(), headers=render.document_headers(), interactive=False,
                         wrap=True, elem_id="sr-documents", max_height=420,
                         column_widths=["38%", "12%", "9%", "16%", "25%"])
    with gr.Row(equal_height=False):
        with gr.Column():
            files = gr.File(label=f"Upload .txt, .md or .pdf (≤ {settings.max_upload_mb:g} MB each)",
                            file_count="multiple", elem_id="sr-upload")
            add = gr.Button("Add to index", variant="primary", elem_id="sr-add")
        with gr.Column():
            picker = gr.Dropdown(choices=docs.choices(), value=None,
                                 label="Remove a document", elem_id="sr-remove-picker")
            remove = gr.Button("Remove from index", variant="stop", elem_id="sr-remove")
            reingest = gr.Button("Re-ingest the corpus folder", elem_id="sr-reingest")
    status = gr.Markdown(elem_id="sr-doc-status")
    return _DocumentsTab(intro, table, files, add, picker, remove, reingest, status)


def _wire_chat(tab: _ChatTab, events: _Events, language: gr.State, slots: int) -> list:
    """Enter, Ask and the examples add the question at once, then answer it one request at a time;
    returns the answering events (which New, open and delete cancel)."""
    chat = events.chat
    submit_args = dict(fn=events.submit, inputs=[tab.message, tab.chatbot, language],
                       outputs=[tab.chatbot, tab.message, tab.pending], queue=False)
    respond_args = dict(
        fn=events.respond,
        inputs=[tab.chatbot, tab.pending, tab.questions, tab.top_k, tab.max_tokens, tab.conversation, tab.scope,
                language],
        outputs=[tab.chatbot, tab.sources, tab.pending, tab.questions, tab.conversation],
        concurrency_limit=slots, concurrency_id="llm", show_progress="full", show_progress_on=[tab.chatbot],
    )
    refresh = dict(fn=events.sidebar, inputs=[tab.conversation], outputs=[tab.saved, tab.remembered], queue=False,
                   api_visibility="private")
    submitted = tab.message.submit(concurrency_limit=None, show_progress="hidden", api_name="submit",
                                   **submit_args)
    answering = [submitted.then(api_name="respond", **respond_args)]
    clicked = tab.send.click(concurrency_limit=None, show_progress="hidden", api_visibility="private",
                             **submit_args)
    answering.append(clicked.then(api_visibility="private", **respond_args))
    for button in tab.examples:
        filled = button.click(lambda q=button.value: q, None, tab.message, queue=False, api_visibility="private")
        step = filled.then(api_visibility="private", **submit_args)
        answering.append(step.then(api_visibility="private", **respond_args))
    # Message actions: regenerate the last answer (the retry button), edit and resend a question, rate.
    private = dict(queue=False, api_visibility="private")
    state = [tab.chatbot, tab.questions, tab.conversation, language]
    retried = tab.chatbot.retry(events.regenerate, state, [tab.chatbot, tab.message, tab.pending, tab.questions],
                                **private)
    answering.append(retried.then(api_visibility="private", **respond_args))
    edited = tab.chatbot.edit(events.edit, state, [tab.chatbot, tab.message, tab.pending, tab.questions], **private)
    answering.append(edited.then(api_visibility="private", **respond_args))
    tab.chatbot.like(events.rate, [tab.chatbot, tab.conversation], [tab.rated, tab.feedback], **private)
    for ask in (tab.send_comment.click, tab.comment.submit):
        ask(events.comment, [tab.conversation, tab.rated, tab.comment], [tab.comment, tab.feedback], **private)
    for answered in answering:
        answered.then(**refresh)
    # Clear starts a new conversation (the saved one stays in the sidebar).
    tab.clear.click(lambda lang: chat.clear(lang) + (None,), [language],
                    [tab.chatbot, tab.sources, tab.pending, tab.questions, tab.message, tab.conversation],
                    cancels=answering, queue=False, api_name="clear").then(**refresh)
    # The chatbot's own trash icon clears the messages; forget the conversation with them.
    tab.chatbot.clear(lambda lang: chat.clear(lang)[1:4] + (None,), [language],
                      [tab.sources, tab.pending, tab.questions, tab.conversation],
                      cancels=answering, queue=False, api_visibility="private").then(**refresh)
    return answering


def _wire_sidebar(tab: _ChatTab, events: _Events, loaded: Any, language: gr.State, answering: list) -> None:
    """New, open, rename, delete and export saved conversations; a page load (once the page's language
    is known, ``loaded``) reopens this browser's one."""
    shown = [tab.chatbot, tab.sources, tab.questions, tab.conversation, tab.saved]
    private = dict(queue=False, api_visibility="private")
    remember = dict(fn=lambda c: c, inputs=[tab.conversation], outputs=[tab.remembered], **private)
    loaded.then(events.restore, [tab.remembered, language], shown, api_name="restore", queue=False).then(**remember)
    tab.new.click(events.new, [language], shown, cancels=answering, **private).then(**remember)
    tab.saved.input(events.open, [tab.saved, language], shown, cancels=answering, **private).then(**remember)
    tab.rename.click(events.rename, [tab.conversation, tab.title], [tab.saved, tab.title], **private)
    tab.delete.click(events.delete, [tab.conversation, language], shown, cancels=answering,
                     **private).then(**remember)
    tab.export_md.click(events.export_markdown, [tab.conversation], [tab.download], **private)
    tab.export_json.click(events.export_json, [tab.conversation], [tab.download], **private)


Labelled = list[tuple[Any, str, str]]  # (component, its attribute showing words, the catalogue key)


def _chat_labels(tab: _ChatTab) -> Labelled:
    return [
        (tab.new, "value", "new"), (tab.saved, "label", "conversations"), (tab.actions, "label", "conv_actions"),
        (tab.title, "placeholder", "new_title"), (tab.rename, "value", "rename"), (tab.delete, "value", "delete"),
        (tab.download, "label", "export"), (tab.chatbot, "placeholder", "chat_placeholder"),
        (tab.message, "placeholder", "question_placeholder"), (tab.send, "value", "ask"),
        (tab.clear, "value", "clear"), (tab.settings, "label", "settings"), (tab.top_k, "label", "top_k"),
        (tab.max_tokens, "label", "max_tokens"), (tab.viewer_prev, "value", "previous_page"),
        (tab.viewer_next, "value", "next_page"), (tab.viewer_close, "value", "close"), (tab.scope, "label", "scope"),
        (tab.comment, "placeholder", "comment_placeholder"), (tab.send_comment, "value", "send_comment"),
    ]


def _documents_labels(tab: _DocumentsTab) -> Labelled:
    return [(tab.files, "label", "upload"), (tab.add, "value", "add"), (tab.picker, "label", "remove_picker"),
            (tab.remove, "value", "remove"), (tab.reingest, "value", "reingest")]


def _wire_language(app: gr.Blocks, switch: gr.Radio, page_language: gr.State, labelled: Labelled,
                   others: list, other_words: Callable[[str], list]) -> Any:
    """The page's words in the language of the switch (kept in ``page_language`` for the handlers);
    on load, the one chosen before in this browser, else the browser's (Accept-Language). ``others``
    are the components ``other_words(language)`` fills. Returns the load event."""
    chosen = gr.BrowserState(None, storage_key="sr-language")
    components = [c for c, _, _ in labelled] + others

    def words(language: str) -> list:
        language = language if language in i18n.LANGUAGES else i18n.DEFAULT
        return ([language, language] + [gr.update(**{attr: i18n.text(key, language)}) for _, attr, key in labelled]
                + other_words(language))

    def on_load(saved: str | None, request: gr.Request) -> list:
        headers = getattr(request, "headers", None) or {}
        return words(saved if saved in i18n.LANGUAGES else i18n.pick_language(headers.get("accept-language")))

    private = dict(queue=False, api_visibility="private")
    switch.input(words, [switch], [chosen, page_language] + components, **private)
    return app.load(on_load, [chosen], [switch, page_language] + components, **private)


def _wire_viewer(tab: _ChatTab, events: _Events, language: gr.State) -> None:
    outputs = [tab.viewer_box, tab.viewer, tab.viewer_shown]
    private = dict(queue=False, api_visibility="private")
    tab.viewer_open.click(events.open_source, [tab.viewer_target, tab.conversation, language], outputs, **private)
    tab.viewer_prev.click(events.previous_page, [tab.viewer_shown, language], outputs, **private)
    tab.viewer_next.click(events.next_page, [tab.viewer_shown, language], outputs, **private)
    tab.viewer_close.click(lambda: gr.Column(visible=False), None, [tab.viewer_box], **private)


def _wire_documents(tab: _DocumentsTab, chat: _ChatTab, events: _Events, loaded: Any, language: gr.State) -> None:
    """Add, remove and re-ingest run one at a time; each refreshes the tab, the chat tab's index line
    and its document picker."""
    outputs = [tab.status, tab.table, tab.picker, chat.info]
    ingest_args = dict(concurrency_limit=1, concurrency_id="ingest")
    refresh = dict(fn=events.scope, inputs=[chat.scope], outputs=[chat.scope], queue=False, api_visibility="private")
    tab.add.click(events.upload, [tab.files, language], outputs + [tab.files], api_name="upload",
                  **ingest_args).then(**refresh)
    tab.remove.click(events.remove, [tab.picker, language], outputs, api_name="remove", **ingest_args).then(**refresh)
    tab.reingest.click(events.reingest_corpus, [language], outputs, api_name="reingest_corpus",
                       **ingest_args).then(**refresh)
    loaded.then(events.documents, [language], outputs, api_name="documents", queue=False)


def launch(app: gr.Blocks, settings: Settings, auth: Any = None, block: bool = True,
           port: int | None = None, quiet: bool = True) -> str:
    """Serve ``app`` on settings.host:settings.port (never a public share link); returns the URL.

    With ``block=False`` the server runs in the background (tests); stop it with ``app.close()``.
    """
    app.queue(default_concurrency_limit=1, max_size=64)
    _, url, _ = app.launch(
        server_name=settings.host,
        server_port=port or settings.port,
        share=False,
        auth=auth,
        prevent_thread_lock=True,
        quiet=quiet,
        show_error=True,
        max_file_size=int(settings.max_upload_mb * 1e6),
        ssr_mode=False,
        theme=theme(),
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        mcp_server=False,
        pwa=False,
    )
    url = url or f"http://{settings.host}:{port or settings.port}/"
    if block:
        app.block_thread()
    return url
