"""The source viewer (ui/viewer.py, ui.handlers.ViewerHandler): a real PDF written in the test,
rendered with pypdfium2, the sentence's highlight where the PDF draws the sentence; text
documents escaped with the sentence marked."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_settings
from helpers_ingest import make_pdf
from ingest.types import Chunk, IndexedDocument
from ui.handlers import ViewerHandler
from ingest.types import OcrPage
from ui.viewer import ViewerTarget, ocr_boxes, ocr_sentence_words, render_pdf_page, text_html
from ui_fixtures import StubPipeline

# make_pdf: Helvetica 11 pt, 14 pt leading, first baseline at y=780 on a 595 x 842 page.
PAGE_H = 842
CITED = "Distillation keeps most of the teacher's accuracy at a tenth of its size."
PAGES = [["Page one is about pretraining.", "Nothing cited here."],
         ["Second page opens here.", CITED, "A closing line."],
         ["Third page."]]


def baseline_top_percent(line: int) -> float:
    """Where line ``line`` (0-based) of a make_pdf page sits, in percent from the top."""
    return 100 * (PAGE_H - (780 - 14 * line)) / PAGE_H


def write_pdf(tmp_path):
    path = tmp_path / "distill.pdf"
    path.write_bytes(make_pdf(PAGES, title="Distillation notes"))
    return path


def test_the_cited_sentence_is_boxed_where_the_pdf_draws_it(tmp_path):
    rendered = render_pdf_page(write_pdf(tmp_path), 2, CITED)
    assert rendered.png.startswith(b"\x89PNG") and rendered.pages == 3 and rendered.page == 2
    assert rendered.boxes, "the sentence was not found on the page"
    top = min(b.top for b in rendered.boxes)
    bottom = max(b.top + b.height for b in rendered.boxes)
    baseline = baseline_top_percent(1)
    assert top < baseline < bottom + 0.5, (top, baseline, bottom)  # the second line, not the first or third
    assert abs(min(b.left for b in rendered.boxes) - 100 * 56 / 595) < 1.0
    assert not render_pdf_page(write_pdf(tmp_path), 1, CITED).boxes  # not on page 1


def test_a_sentence_split_differently_is_found_by_its_first_and_last_words(tmp_path):
    reflowed = CITED.replace(" of the ", "  of\nthe ") + " (extra words the index kept)"
    assert render_pdf_page(write_pdf(tmp_path), 2, reflowed).boxes


def test_text_documents_are_escaped_with_the_sentence_marked():
    doc = IndexedDocument("d", "/x/notes.md", "<b>Notes</b>", ("en",), "", "h", 1, 0.0)
    html = text_html(doc, "Intro <script>alert(1)</script>.\nThe  cited\nsentence here. End.", "The cited sentence here.")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Notes" in html
    assert '<mark class="sr-viewer-hit">The  cited\nsentence here.</mark>' in html


def stub_over(tmp_path, settings=None):
    """A stub citing page 2 of a PDF written in tmp_path and a Markdown file."""
    pdf = write_pdf(tmp_path)
    md = tmp_path / "terns.md"
    md.write_text("# Terns\n\nArctic terns migrate. They fly far <every> year.\n", encoding="utf-8")
    pdf_doc = IndexedDocument("p1", str(pdf), "Distillation notes", ("en",), "", "h", 1, 0.0)
    md_doc = IndexedDocument("m1", str(md), "Terns", ("en",), "", "h", 1, 0.0)
    pdf_chunk = Chunk("pc", "p1", CITED, 0, len(CITED), "en", page=2, sentences=((0, len(CITED)),))
    md_chunk = Chunk("mc", "m1", "They fly far <every> year.", 0, 26, "en", sentences=((0, 26),))
    settings = settings or make_settings(tmp_path / "data")
    return StubPipeline(settings, delay_s=0, passages=[(pdf_doc, pdf_chunk), (md_doc, md_chunk)])


def test_the_handler_opens_a_pdf_at_its_page_and_moves_page_by_page(tmp_path):
    viewer = ViewerHandler(stub := stub_over(tmp_path), stub.settings)
    view = viewer.open(json.dumps({"doc": "p1", "page": "2", "sentence": CITED}))
    assert 'data-page="2"' in view.html and "sr-hl" in view.html and "data:image/png;base64," in view.html
    after = viewer.move(view.target, 1)
    assert 'data-page="3"' in after.html and "sr-hl" not in after.html  # the highlight stays on the cited page
    back = viewer.move(viewer.move(after.target, -1).target, -1)
    assert 'data-page="1"' in back.html
    assert viewer.move(back.target, -1) is None and viewer.move(after.target, 1) is None  # no page 0 or 4

    text = viewer.open(json.dumps({"doc": "m1", "page": "", "sentence": "They fly far <every> year."}))
    assert '<mark class="sr-viewer-hit">They fly far &lt;every&gt; year.</mark>' in text.html
    assert "no longer in the index" in viewer.open(json.dumps({"doc": "gone", "page": "", "sentence": ""})).html
    assert "cannot open this source" in viewer.open("not json").html
    assert ViewerTarget.from_json(view.target).cited_page == 2


def test_a_reference_to_an_earlier_turn_is_looked_up_in_the_saved_conversation(tmp_path):
    from ui.handlers import ChatHandler, ConversationsHandler

    chat = ChatHandler(stub := stub_over(tmp_path), stub.settings)
    history, _, pending = chat.submit("Where do terns fly?", [])
    final = list(chat.respond(history, pending, [], 5, 200))[-1]
    saved = ConversationsHandler(chat.store)
    cid = final.conversation
    citation = chat.store.turns(cid, "")[0].answer.citations[1]
    found = json.loads(saved.source_reference(json.dumps({"turn": 1, "n": citation.n}), cid, ""))
    assert found == {"doc": citation.hit.document.doc_id, "page": citation.hit.chunk.page,
                     "sentence": citation.sentence}
    direct = json.dumps({"doc": "m1", "page": "", "sentence": "x"})
    assert saved.source_reference(direct, cid, "") == direct  # a card's own reference is used as it is
    missing = json.dumps({"turn": 2, "n": 1})
    assert saved.source_reference(missing, cid, "") == missing
    assert saved.source_reference(json.dumps({"turn": 1, "n": 1}), cid, "someone else") != saved.source_reference(
        json.dumps({"turn": 1, "n": 1}), cid, "")


def _box_holds(boxes, left_px: float, top_px: float, size: tuple[int, int]) -> bool:
    x, y = 100 * left_px / size[0], 100 * top_px / size[1]
    return any(b.left <= x <= b.left + b.width and b.top <= y <= b.top + b.height for b in boxes)


def test_an_ocrd_sentence_is_boxed_on_the_scanned_page_and_on_the_image(tmp_path, small_embedder):
    """Scans have no text layer: the word boxes OCR found at ingest (kept in the index, and carried into
    the next version) place the highlight over the cited line of the page image."""
    from helpers_formats import A4_AT_200_DPI, make_scanned_pdf, render_text_image
    from ingest.index import open_index
    from ingest.pipeline import ingest_paths, remove_documents
    from ui.viewer import viewer_html

    cited = "The violet otter dataset was scanned in 1987 at Lyon."
    docs = tmp_path / "docs"
    docs.mkdir()
    make_scanned_pdf(docs / "scan.pdf", [["A cover page for the scanned report."],
                                         ["Opening line of the second page.", cited, "A closing line."]])
    render_text_image(["A first line on the poster.", cited]).save(docs / "poster.png")
    settings = make_settings(tmp_path / "data", embedding_model="all-minilm-l6-v2")
    assert ingest_paths([docs], settings, embedder=small_embedder).ok
    (docs / "later.txt").write_text("A text file added later keeps the scans' boxes in the new version.\n")
    assert ingest_paths([docs], settings, embedder=small_embedder).added  # the scans are kept, not re-read
    index = open_index(settings.index_dir)
    by_name = {Path(d.source).name: d for d in index.documents.values()}
    scan, poster = by_name["scan.pdf"], by_name["poster.png"]
    assert index.ocr_page(scan.doc_id, 1) and index.ocr_page(scan.doc_id, 3) is None

    page = index.ocr_page(scan.doc_id, 2)
    boxes = ocr_boxes(page, cited)
    assert len(boxes) == 1, boxes  # one line
    # render_text_image: the text starts 150 px from the left and top, lines 57.6 px apart, 36 px font
    assert _box_holds(boxes, 150 + 30, 150 + 57.6 + 18, A4_AT_200_DPI)
    assert not _box_holds(boxes, 150 + 30, 150 + 18, A4_AT_200_DPI)  # not the line above

    html = viewer_html(ViewerTarget(scan.doc_id, 2, cited, 2), index.documents, 50_000_000, index.ocr_page)
    assert html.count('class="sr-hl"') == 1 and 'data-page="2"' in html
    plain = viewer_html(ViewerTarget(scan.doc_id, 2, cited, 2), index.documents, 50_000_000)
    assert 'class="sr-hl"' not in plain  # without the boxes, the scan has nothing to highlight

    html = viewer_html(ViewerTarget(poster.doc_id, None, cited), index.documents, 50_000_000, index.ocr_page)
    assert html.count('class="sr-hl"') == 1 and "data:image/png;base64," in html

    remove_documents([str(docs / "later.txt")], settings)  # a removal writes a version too, boxes kept
    assert open_index(settings.index_dir).ocr_page(scan.doc_id, 2) == page


def test_ocr_words_locate_a_sentence_cleaned_differently():
    from ingest.types import OcrWord

    words = tuple(OcrWord(t, 10 * i, 100 * line, 8, 20, line) for i, (t, line) in enumerate(
        [("Intro", 1), ("대규모", 2), ("언어", 2), ("모델은", 2), ("증-", 2), ("류를", 3), ("씁니다.", 3), ("End", 4)]))
    assert [w.text for w in ocr_sentence_words(words, "대규모 언어모델은 증류를 씁니다.")] == \
        ["대규모", "언어", "모델은", "증-", "류를", "씁니다."]  # found by its first and last characters
    assert ocr_sentence_words(words, "Absent sentence") == ()
    page = OcrPage(1, 1000, 1000, words)
    assert len(ocr_boxes(page, "언어 모델은 증-류를")) == 2  # two lines, two boxes
