"""Pure rendering for the chat page: answers, sources and the document table as HTML/markdown.

Nothing here imports Gradio, so the markup can be unit-tested on its own. Every piece of
document or model text goes through ``html.escape`` before it is wrapped in markup. The page's
own words come from ``ui.i18n`` in the ``language`` given (the answer keeps its own).

The chat message keeps the answer's visible ``[n]`` markers, each wrapped in a link to its
source card (``#src-<turn>-<n>``) whose ``title`` tooltip shows the supporting sentence, so
a reference reveals its passage on hover and scrolls to the card on click.

Example:
    >>> from rag.types import Answer
    >>> answer_markdown(Answer(question="q", language="en", text="No.", refused=True), turn=1)
    '<div class="sr-refusal">No.</div>'
"""

from __future__ import annotations

import html
import time
from typing import Iterable, Sequence

from core.text import CITATION_MARKER, one_line
from rag.types import Answer, Citation, Evidence, Hit, SourcesEvent
from ui import i18n
from ui.i18n import DEFAULT

LANGUAGE_NAMES = {"ko": "한국어", "fr": "Français", "en": "English"}
CURSOR = "▌"
_PASSAGE_CHARS = 1400  # longer passages are cut around the highlighted sentence


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def language_label(code: str) -> str:
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else (code or "?")


def location(hit: Hit) -> str:
    """Where the passage is: its page (PDF) or slide (PPTX), else its section heading, else empty."""
    return hit.document.location_of(hit.chunk)


def anchor_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def highlight(passage: str, sentences: Iterable[str], limit: int = _PASSAGE_CHARS) -> str:
    """The passage as HTML with each of ``sentences`` found in it wrapped in <mark>.

    A passage longer than ``limit`` characters is cut to a window around the first highlight.
    """
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        s = (sentence or "").strip()
        if not s:
            continue
        start = passage.find(s)
        if start < 0:
            continue
        end = start + len(s)
        if not any(a < end and start < b for a, b in spans):
            spans.append((start, end))
    spans.sort()
    lo, hi = 0, len(passage)
    if len(passage) > limit:
        centre = spans[0][0] if spans else 0
        lo = max(0, min(centre - limit // 3, len(passage) - limit))
        hi = lo + limit
    out, pos = [], lo
    for a, b in spans:
        a, b = max(a, lo), min(b, hi)
        if a >= b or a < pos:
            continue
        out.append(esc(passage[pos:a]))
        out.append(f"<mark>{esc(passage[a:b])}</mark>")
        pos = b
    out.append(esc(passage[pos:hi]))
    body = "".join(out).strip()
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(passage) else "")


# ---------------------------------------------------------------- chat messages


def streaming_markdown(partial: str) -> str:
    """The answer while it is being written: escaped text and a cursor."""
    return esc(partial) + CURSOR


def waiting_markdown(text: str) -> str:
    return f'<span class="sr-waiting">{esc(text)}</span>'


NOTICE_START = '<div class="sr-note">'


def notice_markdown(message: str) -> str:
    """A friendly note in the chat (an empty or over-long question, a failure)."""
    return f'{NOTICE_START}{esc(message)}</div>'


def source_attributes(hit: Hit, sentence: str) -> str:
    """The data-* attributes with which a click opens the source viewer at ``sentence``."""
    return (f'data-doc="{esc(hit.document.doc_id)}" data-page="{hit.chunk.page or ""}" '
            f'data-sentence="{esc(one_line(sentence, 2000))}"')


def cite_link(citation: Citation, turn: int) -> str:
    d = citation.hit.document
    where = location(citation.hit)
    tip = f"{d.title}{' · ' + where if where else ''} — {one_line(citation.sentence, 300)}"
    return (
        f'<sup class="sr-ref"><a class="sr-cite" href="#{anchor_id(turn, citation.n)}" '
        f'data-target="{anchor_id(turn, citation.n)}" {source_attributes(citation.hit, citation.sentence)} '
        f'title="{esc(tip)}">[{citation.n}]</a></sup>'
    )


def link_markers(text: str, citations: Sequence[Citation], turn: int) -> str:
    """Escape ``text`` and turn each [n] marker of a cited passage into a reference link."""
    by_n = {c.n: c for c in citations}
    out, pos = [], 0
    for m in CITATION_MARKER.finditer(text):
        out.append(esc(text[pos : m.start()]))
        c = by_n.get(int(m.group(1)))
        out.append(cite_link(c, turn) if c else esc(m.group(0)))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def answer_markdown(answer: Answer, turn: int) -> str:
    """The final chat message: a refusal box, or the answer with linked [n] references."""
    if answer.refused:
        return f'<div class="sr-refusal">{esc(answer.text)}</div>'
    body = link_markers(answer.text, answer.citations, turn)
    if answer.citations and not CITATION_MARKER.search(answer.text):
        # The answer could not be matched sentence by sentence: point at the passages it used.
        body += " " + " ".join(cite_link(c, turn) for c in answer.citations)
    if answer.notice:
        body += f'\n\n<div class="sr-notice">{esc(answer.notice)}</div>'
    return body


def scope_markdown(titles: Sequence[str]) -> str:
    """The documents a question was restricted to, under its answer (nothing when it searched all)."""
    if not titles:
        return ""
    return '\n\n<div class="sr-scope">📄 ' + esc("; ".join(titles)) + "</div>"


# ---------------------------------------------------------------- sources panel


def _card(n: str, anchor: str, hit: Hit, sentences: Sequence[str], score_label: str, extra_class: str = "") -> str:
    d, chunk = hit.document, hit.chunk
    badges = [language_label(chunk.language)]
    if where := location(hit):
        badges.append(where)
    badge_html = "".join(f'<span class="sr-badge">{esc(b)}</span>' for b in badges)
    badge_html += f'<span class="sr-badge sr-score">{esc(score_label)}</span>'
    return (
        f'<div class="sr-card {extra_class}" id="{esc(anchor)}" '
        f'{source_attributes(hit, sentences[0] if sentences else "")}>'
        f'<div class="sr-card-head"><span class="sr-n">{esc(n)}</span>'
        f'<span class="sr-title">{esc(d.title)}</span></div>'
        f'<div class="sr-meta">{badge_html}</div>'
        f'<div class="sr-passage">{highlight(chunk.text, sentences)}</div>'
        "</div>"
    )


def _panel(status: str, status_class: str, cards: Sequence[str], footer: str = "") -> str:
    return (
        f'<div class="sr-sources"><div class="sr-status {status_class}">{status}</div>'
        + "".join(cards)
        + footer
        + "</div>"
    )


def sources_placeholder(language: str = DEFAULT) -> str:
    return _panel(esc(i18n.text("sources_idle", language)), "sr-status-idle", [])


def sources_searching(language: str = DEFAULT) -> str:
    return _panel(esc(i18n.text("searching", language)), "sr-status-preview", [])


def _nearest_cards(hits: Sequence[Hit], turn: int, language: str) -> list[str]:
    return [_card(f"#{i}", f"near-{turn}-{i}", h, [], i18n.text("score_relevance", language, score=f"{h.score:.2f}"),
                  "sr-near")
            for i, h in enumerate(hits[:3], start=1)]


def sources_preview(event: SourcesEvent, turn: int, language: str = DEFAULT) -> str:
    """Shown as soon as retrieval is done, before the model writes: best sentences per passage."""
    if event.will_refuse:
        cards = _nearest_cards(event.hits, turn, language)
        return _panel(esc(i18n.text("preview_nearest", language)), "sr-status-refused", cards)
    by_n: dict[int, list[Evidence]] = {}
    for e in event.evidence:
        by_n.setdefault(e.n, []).append(e)
    cards = [
        _card(f"[{n}]", anchor_id(turn, n), evs[0].hit, [e.sentence for e in evs],
              i18n.text("score_match", language, score=f"{max(e.score for e in evs):.2f}"), "sr-preview")
        for n, evs in sorted(by_n.items())
    ]
    return _panel(esc(i18n.text("preview_found", language, n=len(event.hits))), "sr-status-preview", cards)


def sources_for_answer(answer: Answer, turn: int, model: str = "", language: str = DEFAULT) -> str:
    """The cited passages (or, for a refusal, the nearest ones), with timings."""
    timing = _timing(answer, model, language)
    if answer.refused:
        cards = _nearest_cards(answer.hits, turn, language)
        status = i18n.text("sources_refused" if cards else "sources_none", language)
        return _panel(esc(status) + timing, "sr-status-refused", cards)
    cards = [_card(f"[{c.n}]", anchor_id(turn, c.n), c.hit, [c.sentence],
                   i18n.text("score_support", language, score=f"{c.support:.2f}"), "sr-cited")
             for c in sorted(answer.citations, key=lambda c: c.n)]
    cited_rows = {(c.hit.chunk.chunk_id) for c in answer.citations}
    others = [h for h in answer.hits if h.chunk.chunk_id not in cited_rows]
    footer = ""
    if others:
        items = "".join(
            f'<li><b>{esc(h.document.title)}</b> <span class="sr-badge">{esc(language_label(h.chunk.language))}</span>'
            f'{" <span class=sr-badge>" + esc(location(h)) + "</span>" if location(h) else ""}'
            f' <span class="sr-badge sr-score">{esc(i18n.text("score_relevance", language, score=f"{h.score:.2f}"))}'
            f'</span><br>{esc(one_line(h.chunk.text, 260))}</li>'
            for h in others
        )
        summary = esc(i18n.text("sources_other", language, n=len(others)))
        footer = f'<details class="sr-others"><summary>{summary}</summary><ul>{items}</ul></details>'
    return _panel(esc(i18n.text("sources_cited", language, n=len(cards))) + timing, "sr-status-done", cards, footer)


def _timing(answer: Answer, model: str, language: str) -> str:
    t = answer.timings or {}
    parts = []
    if "first_token_s" in t:
        parts.append(i18n.text("time_first", language, s=f"{t['first_token_s']:.1f}"))
    if "total_s" in t:
        parts.append(i18n.text("time_total", language, s=f"{t['total_s']:.1f}"))
    if model and not answer.refused:
        parts.append(model)
    return f'<span class="sr-timing">{esc(" · ".join(parts))}</span>' if parts else ""


# ---------------------------------------------------------------- documents tab


def format_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


def document_rows(documents: Iterable) -> list[list]:
    """Rows for the documents table: title, languages, chunks, last ingested, file."""
    rows = []
    for d in sorted(documents, key=lambda d: d.title.lower()):
        rows.append([d.title, ", ".join(d.languages), d.chunk_count, format_time(d.ingested_at),
                     d.source.replace("\\", "/").rsplit("/", 1)[-1]])
    return rows


def document_choices(documents: Iterable) -> list[tuple[str, str]]:
    """(label, source) pairs for the remove-a-document picker."""
    return [
        (f"{one_line(d.title, 70)} — {d.source.replace(chr(92), '/').rsplit('/', 1)[-1]}", d.source)
        for d in sorted(documents, key=lambda d: d.title.lower())
    ]


def document_headers(language: str = DEFAULT) -> list[str]:
    return [i18n.text(key, language) for key in ("col_title", "col_language", "col_chunks", "col_ingested", "col_file")]
