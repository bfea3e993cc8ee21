"""Fast unit tests of the chat page's pure parts: rendering (uploads: tests/test_uploads.py)."""

from __future__ import annotations

import pytest

from ingest.types import IndexedDocument
from ingest.types import Chunk
from rag.types import Answer, Citation, Evidence, Hit, SourcesEvent
from ui import render


def hit(text: str, title: str = "Doc", language: str = "en", page: int | None = None, heading: str = "",
        row: int = 0, score: float = 0.61) -> Hit:
    chunk = Chunk(chunk_id=f"c{row}", doc_id=f"d{row}", text=text, start=0, end=len(text), language=language,
                  heading=heading, page=page, sentences=((0, len(text)),))
    doc = IndexedDocument(f"d{row}", f"/corpus/doc{row}.txt", title, (language,), "", "h", 3, 1_700_000_000.0)
    return Hit(chunk=chunk, document=doc, score=score, dense=score, row=row)


PASSAGE = "Decoder-only models scale well. They became dominant after GPT-3. Other text <b>here</b>."
H1 = hit(PASSAGE, title="Survey <One>", language="en", page=4)
H2 = hit("디코더 전용 모델은 생성에 강하다. 두 번째 문장.", title="한국어 문서", language="ko", heading="2.1 모델 구조", row=1)


def test_highlight_marks_the_sentence_and_escapes():
    out = render.highlight(PASSAGE, ["They became dominant after GPT-3."])
    assert "<mark>They became dominant after GPT-3.</mark>" in out
    assert "&lt;b&gt;here&lt;/b&gt;" in out and "<b>" not in out


def test_highlight_cuts_long_passages_around_the_mark():
    passage = "x " * 2000 + "The key sentence." + " y" * 2000
    out = render.highlight(passage, ["The key sentence."], limit=300)
    assert "<mark>The key sentence.</mark>" in out
    assert out.startswith("… ") and out.endswith(" …") and len(out) < 400


def test_answer_links_markers_with_tooltips():
    c1 = Citation(n=1, hit=H1, sentence="They became dominant after GPT-3.", support=0.71)
    answer = Answer(question="q", language="en", text="They dominate since GPT-3 <script>. [1] Also [7].",
                    refused=False, citations=(c1,), hits=(H1, H2))
    out = render.answer_markdown(answer, turn=2)
    assert 'href="#src-2-1"' in out and ">[1]</a></sup>" in out
    assert "title=\"Survey &lt;One&gt; · p. 4 — They became dominant after GPT-3.\"" in out
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert "[7]" in out and 'src-2-7' not in out  # a marker without a citation stays plain text


def test_refusal_is_a_distinct_box_and_notice_is_shown():
    refused = Answer(question="q", language="fr", text="Les documents ne répondent pas.", refused=True, hits=(H1,))
    assert render.answer_markdown(refused, 1).startswith('<div class="sr-refusal">')
    c = Citation(n=2, hit=H2, sentence="디코더 전용 모델은 생성에 강하다.", support=0.5)
    noted = Answer(question="q", language="ko", text="답변입니다", refused=False, citations=(c,), notice="주의")
    out = render.answer_markdown(noted, 1)
    assert 'class="sr-notice"' in out and "주의" in out
    assert 'href="#src-1-2"' in out  # no marker in the text: the passages used are still linked


def test_sources_for_answer_lists_cited_passages():
    c1 = Citation(n=1, hit=H1, sentence="They became dominant after GPT-3.", support=0.712)
    c2 = Citation(n=2, hit=H2, sentence="디코더 전용 모델은 생성에 강하다.", support=0.55)
    other = hit("An unrelated passage.", title="Other", row=5)
    answer = Answer(question="q", language="en", text="A [1]. B [2].", refused=False, citations=(c2, c1),
                    hits=(H1, H2, other), timings={"first_token_s": 2.5, "total_s": 9.0})
    out = render.sources_for_answer(answer, turn=3, model="qwen")
    assert out.index('id="src-3-1"') < out.index('id="src-3-2"')
    assert "Survey &lt;One&gt;" in out and "한국어 문서" in out
    assert "p. 4" in out and "§ 2.1 모델 구조" in out and "한국어 (ko)" in out and "English (en)" in out
    assert "support 0.71" in out and "<mark>디코더 전용 모델은 생성에 강하다.</mark>" in out
    assert "Other retrieved passages (1)" in out and "first words 2.5 s" in out and "qwen" in out


def test_refused_sources_show_nearest_passages():
    answer = Answer(question="q", language="en", text="No.", refused=True, hits=(H1, H2))
    out = render.sources_for_answer(answer, turn=1)
    assert "sr-status-refused" in out and "nearest passages" in out
    assert "Survey &lt;One&gt;" in out and "relevance 0.61" in out


def test_preview_shows_best_sentences_per_passage():
    ev = (Evidence(1, H2, "디코더 전용 모델은 생성에 강하다.", 0.66), Evidence(2, H1, "Decoder-only models scale well.", 0.5))
    out = render.sources_preview(SourcesEvent((H1, H2), ev, "ko", False), turn=1)
    assert "sr-status-preview" in out and 'id="src-1-1"' in out and 'id="src-1-2"' in out
    assert "<mark>디코더 전용 모델은 생성에 강하다.</mark>" in out and "match 0.66" in out
    refusing = render.sources_preview(SourcesEvent((H1,), (), "en", True), turn=1)
    assert "sr-status-refused" in refusing and "Survey &lt;One&gt;" in refusing


def test_streaming_text_is_escaped():
    assert render.streaming_markdown("a <img src=x> [1]") == "a &lt;img src=x&gt; [1]" + render.CURSOR


def test_document_rows_and_choices():
    docs = [H2.document, H1.document]
    rows = render.document_rows(docs)
    assert rows[0][0] == "Survey <One>" and rows[0][2] == 3 and rows[0][4] == "doc0.txt"
    assert rows[0][3].startswith("2023-11-1")
    assert render.document_choices(docs)[1] == ("한국어 문서 — doc1.txt", "/corpus/doc1.txt")


def test_auth_from_env():
    from survey_rag.chat import auth_from_env

    assert auth_from_env({}) is None
    assert auth_from_env({"SURVEY_RAG_USERNAME": "u", "SURVEY_RAG_PASSWORD": "p"}) == ("u", "p")
    with pytest.raises(ValueError):
        auth_from_env({"SURVEY_RAG_USERNAME": "u"})


def test_chat_command_is_registered():
    from survey_rag.cli import _parser

    args = _parser().parse_args(["chat", "--host", "0.0.0.0", "--port", "8000"])
    assert args.handler.__name__ == "cmd_chat" and args.host == "0.0.0.0" and args.port == 8000


def test_the_cli_starts_without_the_web_framework():
    """Only `chat` and `serve` need Gradio and uvicorn; importing them cost every other command 2-4 s."""
    import subprocess
    import sys

    code = "import sys, survey_rag.cli; print(sorted(m for m in ('gradio', 'uvicorn', 'fastapi') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
