"""The chat page: a Gradio app over one ``RagPipeline`` (models loaded once).

Chat tab: the question is added to the conversation at once (``/submit``), then answered by
``/respond``, which runs one request at a time (the queue shows the position) and streams:
the retrieved passages and their best sentences first, then the answer token by token, then
the final answer with ``[n]`` references linked to source cards in the sources panel.

Documents tab: the indexed documents; upload .txt/.md/.pdf files (checked, sanitised, copied
into ``<data_dir>/uploads`` and ingested from there), remove a document, re-ingest the
corpus folder. Questions asked during an ingest are answered from the previous index
version until the new one is committed.

Example:
    >>> app = build_app(RagPipeline.from_settings(settings), settings)  # doctest: +SKIP
    >>> url = launch(app, settings, block=False)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import shutil
import unicodedata
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from ingest.index import IndexStoreError, IngestLockedError
from ingest.load import SUPPORTED_SUFFIXES, LoadError, check_file, load_document
from ingest.pipeline import ingest_paths, remove_documents
from ingest.types import FileFailure, IngestReport
from rag.llm.factory import answer_slots
from rag.pipeline import RagPipeline
from rag.question import QuestionError, validate_question
from rag.types import AnswerEvent, SourcesEvent, TokenEvent
from core.errors import user_message
from core.progress import STAGE_LABELS
from core.settings import Settings
from ui import render

log = logging.getLogger(__name__)

EXAMPLES = [
    "디코더 전용 모델이 왜 주류가 되었나?",
    "Un modèle affiné a-t-il encore sa place face à un LLM ?",
    "LLM or fine-tuned model for NER?",
]
UPLOADS = "uploads"
LOCKED_MESSAGE = (
    "Another ingest is already running (started from this page, another tab or the command line). "
    "Nothing was changed; please try again when it has finished."
)

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
"""

# A click on an [n] reference scrolls to its source card and flashes it (instead of following the link).
HEAD = """
<script>
document.addEventListener('click', function (event) {
  const link = event.target && event.target.closest ? event.target.closest('a.sr-cite') : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const id = link.getAttribute('data-target') || (link.getAttribute('href') || '').replace(/^#/, '');
  const card = id ? document.getElementById(id) : null;
  if (!card) return;
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  card.classList.add('sr-flash');
  setTimeout(function () { card.classList.remove('sr-flash'); }, 1800);
}, true);
</script>
"""


def theme() -> gr.themes.Base:
    # Local fonts only: the page must work offline, and Korean needs a CJK font (Noto Sans CJK).
    return gr.themes.Soft(
        primary_hue="blue",
        font=["Noto Sans", "Noto Sans CJK KR", "system-ui", "sans-serif"],
        font_mono=["Noto Sans Mono", "DejaVu Sans Mono", "monospace"],
    )


# ---------------------------------------------------------------- uploads


def sanitize_filename(name: str, max_stem: int = 100) -> str:
    """A safe base name for an uploaded file: no folders, no control or odd characters.

    >>> sanitize_filename("../../etc/passwd")
    'passwd'
    >>> sanitize_filename("C:\\\\Users\\\\me\\\\리포트 v2.TXT")
    '리포트 v2.txt'
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch if ch.isalnum() or ch in "._- ()" else "_" for ch in base)
    base = re.sub(r"\s+", " ", base).strip().lstrip("._- ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .")[:max_stem].strip(" .") or "upload"
    suffix = suffix.lower()[:12]
    return f"{stem}.{suffix}" if suffix else stem


def _unique(folder: Path, name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, i = name, 2
    while candidate in taken:
        candidate = f"{stem}-{i}.{suffix}" if suffix else f"{stem}-{i}"
        i += 1
    return candidate


class UploadOutcome:
    """What happened to one batch of uploads: the report (if an ingest ran) and rejected files."""

    def __init__(self) -> None:
        self.rejected: list[FileFailure] = []
        self.added: list[str] = []  # final paths that are now indexed
        self.report: IngestReport | None = None
        self.locked = False


def add_uploads(
    files: list[str | Path],
    settings: Settings,
    ingest: Callable[[list[Path]], IngestReport],
) -> UploadOutcome:
    """Check, copy into ``<data_dir>/uploads`` and ingest ``files``; roll back whatever fails.

    A file that replaces an earlier upload of the same name is restored if the new one fails,
    so nothing that was indexed is lost.
    """
    out = UploadOutcome()
    uploads = settings.data_dir / UPLOADS
    staging = uploads / ".staging" / uuid.uuid4().hex
    staging.mkdir(parents=True, exist_ok=True)
    max_bytes = int(settings.max_upload_mb * 1e6)
    load_bytes = int(min(settings.max_upload_mb, settings.max_file_mb) * 1e6)
    try:
        staged: list[tuple[str, Path]] = []
        taken: set[str] = set()
        for f in files:
            src = Path(f) if isinstance(f, (str, Path)) else Path(getattr(f, "path", None) or f.name)
            name = _unique(staging, sanitize_filename(src.name), taken)
            try:
                size = src.stat().st_size
            except OSError as exc:
                out.rejected.append(FileFailure(name, f"cannot read file ({exc.strerror or exc})"))
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES and size > max_bytes:
                out.rejected.append(FileFailure(
                    name, f"file too large ({size / 1e6:.1f} MB > {settings.max_upload_mb:g} MB upload limit)"))
                continue
            target = staging / name
            if target.suffix.lower() not in SUPPORTED_SUFFIXES:
                try:
                    check_file(target, max_bytes)  # not copied yet: raises the CLI's "unsupported file type"
                except LoadError as exc:
                    out.rejected.append(FileFailure(name, str(exc)))
                    continue
            shutil.copyfile(src, target)
            try:
                load_document(target, load_bytes)  # the same checks and reasons as `survey-rag ingest`
            except LoadError as exc:
                out.rejected.append(FileFailure(name, str(exc)))
                continue
            except OSError as exc:
                out.rejected.append(FileFailure(name, f"cannot read file ({exc.strerror or exc})"))
                continue
            taken.add(name)
            staged.append((name, target))
        if not staged:
            return out

        placed: dict[Path, Path | None] = {}  # final path -> backup of the file it replaced
        for name, target in staged:
            final = uploads / name
            backup = None
            if final.exists():
                backup = staging / (name + ".previous")
                shutil.move(final, backup)
            shutil.move(target, final)
            placed[final] = backup

        def restore(final: Path) -> None:
            backup = placed.pop(final)
            final.unlink(missing_ok=True)
            if backup is not None:
                shutil.move(backup, final)

        try:
            out.report = ingest([p for p in placed])
        except IngestLockedError:
            out.locked = True
            for final in list(placed):
                restore(final)
            return out
        except BaseException:
            for final in list(placed):
                restore(final)
            raise
        failed = {str(Path(f.path).resolve()): f for f in out.report.failed}
        for final in list(placed):
            failure = failed.get(str(final.resolve()))
            if failure is not None:
                out.rejected.append(FileFailure(final.name, failure.reason))
                restore(final)
        out.added = [str(p) for p in placed]
        return out
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.parent.rmdir()  # only when no other batch is using it
        except OSError:
            pass


# ---------------------------------------------------------------- the app


def warm_up(pipeline: RagPipeline, prime_model: bool = True) -> None:
    """Get the index, the embedder and the model's prompt cache ready, so the first question after
    start is not the slow one (see ``RagPipeline.warm_up``)."""
    try:
        pipeline.warm_up(prime_model)
    except IndexStoreError as exc:
        log.warning("no index to warm up: %s", exc)


def build_app(pipeline: RagPipeline, settings: Settings | None = None) -> gr.Blocks:
    settings = settings or pipeline.settings
    model_name = pipeline.generator.name

    def documents() -> list:
        try:
            return list(pipeline.retriever().index.documents.values())
        except IndexStoreError:
            return []

    def table_value() -> list[list]:
        return render.document_rows(documents()) or [["(no documents indexed yet)", "", 0, "", ""]]

    def index_info() -> str:
        docs = documents()
        chunks = sum(d.chunk_count for d in docs)
        return (
            f"**Answer model:** `{model_name}`  \n"
            f"**Embedding model:** `{settings.embedding_model}`  \n"
            f"**Index:** {len(docs)} documents, {chunks} passages"
        )

    # ------------------------------------------------------------ chat handlers

    def submit(message: str, history: list, questions: list) -> tuple:
        history = list(history or [])
        text = message or ""
        try:
            question = validate_question(text, settings.max_question_chars)
        except QuestionError as exc:
            if text.strip():
                history.append({"role": "user", "content": render.esc(render.one_line(text, 300))})
            history.append({"role": "assistant", "content": render.notice_markdown(str(exc))})
            return history, text if text.strip() else "", None
        history.append({"role": "user", "content": render.esc(question)})
        history.append({"role": "assistant", "content": render.waiting_markdown("Searching the documents…")})
        return history, "", question

    def respond(history: list, pending: str | None, questions: list, top_k: float, max_tokens: float
                ) -> Iterator[tuple]:
        history = list(history or [])
        questions = list(questions or [])
        if not pending:
            yield history, gr.skip(), None, questions
            return
        if not history or history[-1].get("role") != "assistant":
            history.append({"role": "assistant", "content": ""})
        turn = len(questions) + 1
        yield history, render.sources_searching(), pending, questions
        answer = None
        text = ""
        try:
            for event in pipeline.stream(pending, history=tuple(questions), top_k=int(top_k),
                                         max_answer_tokens=int(max_tokens)):
                if isinstance(event, SourcesEvent):
                    waiting = ("Checking the nearest passages…" if event.will_refuse
                               else f"Found {len(event.hits)} passages; writing the answer…")
                    history[-1] = {"role": "assistant", "content": render.waiting_markdown(waiting)}
                    yield history, render.sources_preview(event, turn), pending, questions
                elif isinstance(event, TokenEvent):
                    text = event.text if event.restart else text + event.text
                    history[-1] = {"role": "assistant", "content": render.streaming_markdown(text)}
                    yield history, gr.skip(), pending, questions
                elif isinstance(event, AnswerEvent):
                    answer = event.answer
        except QuestionError as exc:
            history[-1] = {"role": "assistant", "content": render.notice_markdown(str(exc))}
            yield history, render.sources_placeholder(), None, questions
            return
        except Exception as exc:  # keep the page usable; the details go to the server log
            log.exception("answering failed")
            reason = user_message(exc) or f"{type(exc).__name__}; see the server log for details"
            history[-1] = {"role": "assistant",
                           "content": render.notice_markdown(f"Sorry, the answer failed ({reason}).")}
            yield history, gr.skip(), None, questions
            return
        assert answer is not None
        history[-1] = {"role": "assistant", "content": render.answer_markdown(answer, turn)}
        questions.append(pending)
        yield history, render.sources_for_answer(answer, turn, model_name), None, questions

    def clear() -> tuple:
        return [], render.sources_placeholder(), None, [], ""

    # ------------------------------------------------------------ document handlers

    def doc_outputs(message: str, changed: bool = False) -> tuple:
        if changed:
            warm_up(pipeline, prime_model=False)  # switch to the new index version now, not on the next question
        docs = documents()
        choices = render.document_choices(docs)
        return (message, table_value(), gr.Dropdown(choices=choices, value=None), index_info())

    def progress_callback(progress: gr.Progress) -> Callable[[str, int, int], None]:
        def report(stage: str, done: int, total: int) -> None:
            label = STAGE_LABELS.get(stage, stage).capitalize()
            if total:
                progress((done, total), desc=label, unit="items")
            else:
                progress(0, desc=label)
        return report

    def upload(files: list | None, progress: gr.Progress = gr.Progress()) -> tuple:
        if not files:
            return doc_outputs("Choose one or more .txt, .md or .pdf files first.") + (None,)
        progress(0, desc="Checking the files")
        files = files if isinstance(files, list) else [files]
        before = {d.source for d in documents()}
        outcome = add_uploads(
            files, settings,
            lambda paths: ingest_paths(paths, settings, embedder=pipeline.embedder,
                                       progress=progress_callback(progress)),
        )
        lines = []
        if outcome.locked:
            lines.append(LOCKED_MESSAGE)
        docs = {d.source: d for d in documents()}
        for path in outcome.added:
            d = docs.get(str(Path(path).resolve()))
            if d is None:
                continue
            verb = "updated" if d.source in before else "added"
            if outcome.report and d.source in outcome.report.unchanged:
                verb = "already indexed, unchanged"
            lines.append(f"✓ **{render.esc(d.title)}** ({', '.join(d.languages)}, {d.chunk_count} chunks): {verb}.")
        for failure in outcome.rejected:
            lines.append(f"✗ Rejected `{failure}`")
        if outcome.report:
            lines.append(f"<small>{render.esc(outcome.report.summary())}</small>")
        return doc_outputs("\n\n".join(lines) or "Nothing to do.", changed=bool(outcome.added)) + (None,)

    def remove(source: str | None) -> tuple:
        if not source:
            return doc_outputs("Pick a document to remove first.")
        title = next((d.title for d in documents() if d.source == source), source)
        try:
            report = remove_documents([source], settings)
        except IngestLockedError:
            return doc_outputs(LOCKED_MESSAGE)
        uploads = (settings.data_dir / UPLOADS).resolve()
        path = Path(source)
        if report.removed and uploads in path.parents:
            path.unlink(missing_ok=True)  # or a later upload batch would not know it was removed
        if not report.removed:
            return doc_outputs(f"**{render.esc(title)}** was not in the index (already removed?).")
        return doc_outputs(f"Removed **{render.esc(title)}** from the index.", changed=True)

    def reingest_corpus(progress: gr.Progress = gr.Progress()) -> tuple:
        progress(0, desc="Checking the corpus folder")
        try:
            report = ingest_paths([settings.corpus_dir], settings, embedder=pipeline.embedder,
                                  progress=progress_callback(progress))
        except IngestLockedError:
            return doc_outputs(LOCKED_MESSAGE)
        except IndexStoreError as exc:
            return doc_outputs(f"✗ {render.esc(str(exc))}")
        lines = [f"Re-ingested `{render.esc(str(settings.corpus_dir))}`: {render.esc(report.summary())}"]
        lines += [f"✗ Failed `{render.esc(str(f))}`" for f in report.failed]
        return doc_outputs("\n\n".join(lines), changed=bool(report.added or report.changed or report.removed))

    # ------------------------------------------------------------ layout

    with gr.Blocks(title="Survey RAG", analytics_enabled=False) as app:
        gr.Markdown(
            "## Survey RAG\nAsk about the LLM survey documents in 한국어, Français or English; "
            "every answer cites the passages it comes from.",
            elem_id="sr-header",
        )
        pending = gr.State(None)
        questions = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=380):
                        chatbot = gr.Chatbot(
                            label="Conversation", elem_id="sr-chat", height=520,
                            placeholder="Ask a question below, or click an example. "
                                        "Answers stream in; **[n]** marks the source passage.",
                            buttons=["copy"], feedback_options=None, show_label=False,
                        )
                        with gr.Row():
                            message = gr.Textbox(
                                placeholder="Ask in Korean, French or English… (Enter to send)",
                                show_label=False, lines=1, max_lines=4, scale=8, elem_id="sr-question",
                                autofocus=True,
                            )
                            send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="sr-ask")
                        with gr.Row(elem_id="sr-examples"):
                            example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                            clear_button = gr.Button("Clear conversation", size="sm", variant="stop",
                                                     elem_id="sr-clear")
                        with gr.Accordion("Settings", open=False, elem_id="sr-settings"):
                            top_k = gr.Slider(1, 10, value=min(max(settings.top_k, 1), 10), step=1,
                                              label="Passages to retrieve (top-k)")
                            max_tokens = gr.Slider(32, 1024, value=min(max(settings.max_answer_tokens, 32), 1024),
                                                   step=16, label="Answer length (max tokens)")
                            info = gr.Markdown(index_info())
                    with gr.Column(scale=2, min_width=320):
                        sources = gr.HTML(render.sources_placeholder(), elem_id="sr-sources-panel",
                                          js_on_load=None)
            with gr.Tab("Documents", id="documents"):
                gr.Markdown(
                    "The documents answers are drawn from. Uploads are copied into the app's data folder "
                    f"and indexed; only .txt, .md and .pdf files up to {settings.max_upload_mb:g} MB."
                )
                table = gr.Dataframe(value=table_value(), headers=render.DOCUMENT_HEADERS, interactive=False,
                                     wrap=True, elem_id="sr-documents", max_height=420,
                                     column_widths=["38%", "12%", "9%", "16%", "25%"])
                with gr.Row(equal_height=False):
                    with gr.Column():
                        files = gr.File(label=f"Upload .txt, .md or .pdf (≤ {settings.max_upload_mb:g} MB each)",
                                        file_count="multiple", elem_id="sr-upload")
                        add_button = gr.Button("Add to index", variant="primary", elem_id="sr-add")
                    with gr.Column():
                        doc_picker = gr.Dropdown(choices=render.document_choices(documents()), value=None,
                                                 label="Remove a document", elem_id="sr-remove-picker")
                        remove_button = gr.Button("Remove from index", variant="stop", elem_id="sr-remove")
                        corpus_button = gr.Button("Re-ingest the corpus folder", elem_id="sr-reingest")
                status = gr.Markdown(elem_id="sr-doc-status")

        # ------------------------------------------------------------ events
        respond_args = dict(
            fn=respond, inputs=[chatbot, pending, questions, top_k, max_tokens],
            outputs=[chatbot, sources, pending, questions], concurrency_limit=answer_slots(settings), concurrency_id="llm",
            show_progress="full", show_progress_on=[chatbot],
        )
        submitted = message.submit(submit, [message, chatbot, questions], [chatbot, message, pending],
                                   concurrency_limit=None, show_progress="hidden", api_name="submit",
                                   queue=False)
        answering = [submitted.then(api_name="respond", **respond_args)]
        clicked = send.click(submit, [message, chatbot, questions], [chatbot, message, pending],
                             concurrency_limit=None, show_progress="hidden", api_visibility="private",
                             queue=False)
        answering.append(clicked.then(api_visibility="private", **respond_args))
        for button in example_buttons:
            filled = button.click(lambda q=button.value: q, None, message, queue=False, api_visibility="private")
            step = filled.then(submit, [message, chatbot, questions], [chatbot, message, pending],
                               queue=False, api_visibility="private")
            answering.append(step.then(api_visibility="private", **respond_args))
        clear_button.click(clear, None, [chatbot, sources, pending, questions, message], cancels=answering,
                           queue=False, api_name="clear")
        # The chatbot's own trash icon clears the messages; forget the conversation with them.
        chatbot.clear(lambda: clear()[1:4], None, [sources, pending, questions], cancels=answering, queue=False,
                      api_visibility="private")

        doc_outs = [status, table, doc_picker, info]
        add_button.click(upload, [files], doc_outs + [files], concurrency_limit=1, concurrency_id="ingest",
                         api_name="upload")
        remove_button.click(remove, [doc_picker], doc_outs, concurrency_limit=1, concurrency_id="ingest",
                            api_name="remove")
        corpus_button.click(reingest_corpus, None, doc_outs, concurrency_limit=1, concurrency_id="ingest",
                            api_name="reingest_corpus")
        app.load(lambda: doc_outputs(""), None, doc_outs, api_name="documents", queue=False)
    return app


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
