"""The chat page's saved conversations, source viewer, languages and scope in Debian's Chromium
(Playwright), over the test stub (tests/ui_fixtures.py): no model is needed to test the page."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import make_settings, needs_chromium
from ui.conversations import ConversationStore
from ui_fixtures import TEST_OUTPUT, StubPipeline, free_port


pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    needs_chromium,
]


class StubApp:
    """The chat page over a stub, restartable on the same port and data folder."""

    def __init__(self, data_dir: Path, make_stub=StubPipeline):
        self.settings = make_settings(data_dir, host="127.0.0.1", port=free_port())
        self.make_stub = make_stub
        self.app = None
        self.start()

    def start(self) -> None:
        from ui.app import build_app, launch

        self.stub = self.make_stub(self.settings)
        self.app = build_app(self.stub, self.settings)
        self.url = launch(self.app, self.settings, block=False).rstrip("/") + "/"

    def restart(self) -> None:
        self.app.close()
        self.start()

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def stub_app(tmp_path):
    app = StubApp(tmp_path, lambda settings: StubPipeline(settings, delay_s=0.3))
    yield app
    app.close()


def open_page(browser, url: str, locale: str = "en-US"):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("#sr-question textarea")
    return page


def ask(page, question: str) -> None:
    box = page.locator("#sr-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_selector("#sr-sources-panel .sr-status-done", timeout=60_000)
    page.wait_for_function("q => document.querySelector('#sr-conversations').innerText.includes(q)", arg=question)


def sidebar_titles(page) -> list[str]:
    return [t.strip() for t in page.locator("#sr-conversations label").all_inner_texts()]


def test_a_conversation_comes_back_after_a_reload_and_a_restart(browser, stub_app):
    page = open_page(browser, stub_app.url)
    ask(page, "What is <distillation>?")
    assert "<distillation>" in page.locator("#sr-chat").inner_text()

    page.reload()
    page.wait_for_selector("#sr-chat a.sr-cite")
    assert "What is <distillation>?" in page.locator("#sr-chat").inner_text()
    assert page.locator("#sr-sources-panel .sr-card mark").count() >= 1  # the source cards are back
    assert sidebar_titles(page) == ["What is <distillation>?"]

    stub_app.restart()
    page.goto(stub_app.url)
    page.wait_for_selector("#sr-chat a.sr-cite")
    assert "What is <distillation>?" in page.locator("#sr-chat").inner_text()
    assert "Stub document" in page.locator("#sr-sources-panel").inner_text()
    page.context.close()


def test_two_conversations_switch_export_and_delete(browser, stub_app):
    page = open_page(browser, stub_app.url)
    ask(page, "First topic?")
    page.locator("#sr-new").click()
    page.wait_for_function("() => !document.querySelector('#sr-chat').innerText.includes('First topic?')")
    ask(page, "Second topic?")
    assert sidebar_titles(page) == ["Second topic?", "First topic?"]

    page.locator("#sr-conversations label", has_text="First topic?").click()
    page.wait_for_function("() => document.querySelector('#sr-chat').innerText.includes('First topic?')")
    assert "Second topic?" not in page.locator("#sr-chat").inner_text()

    page.locator("#sr-conv-actions").get_by_text("Rename, delete, export").click()
    page.locator("#sr-export-md").click()
    link = page.locator("#sr-export a[download], #sr-export a").first
    link.wait_for()
    markdown = page.request.get(link.get_attribute("href")).text()
    assert "First topic?" in markdown and "Stub answer. [1]" in markdown
    assert '1. **Stub document**: "Stub passages exist so the page can be tested without models."' in markdown

    page.locator("#sr-delete").click()
    page.wait_for_function("() => !document.querySelector('#sr-conversations').innerText.includes('First topic?')")
    assert sidebar_titles(page) == ["Second topic?"]
    page.wait_for_function("() => document.querySelector('#sr-chat').innerText.includes('Second topic?')")
    page.context.close()


def test_clicking_a_citation_opens_the_pdf_page_with_the_sentence_highlighted(browser, tmp_path):
    from test_viewer import baseline_top_percent, stub_over

    app = StubApp(tmp_path / "data", lambda settings: stub_over(tmp_path, settings))
    try:
        page = open_page(browser, app.url)
        ask(page, "How small can a distilled model be?")
        started = time.monotonic()
        page.locator("#sr-chat a.sr-cite").first.click()
        page.wait_for_selector("#sr-viewer-panel img.sr-page-img", state="visible")
        page.wait_for_function("() => document.querySelector('#sr-viewer-panel img.sr-page-img').complete")
        shown_s = time.monotonic() - started
        TEST_OUTPUT.mkdir(exist_ok=True)
        (TEST_OUTPUT / "ui-viewer-timing.json").write_text(json.dumps({"click_to_viewer_s": round(shown_s, 3)}))
        print(f"\nclick on [1] -> PDF page shown: {shown_s:.2f} s")

        assert 'data-page="2"' in page.locator("#sr-viewer-panel .sr-viewer").evaluate("e => e.outerHTML")
        image = page.locator("#sr-viewer-panel img.sr-page-img").bounding_box()
        boxes = [b.bounding_box() for b in page.locator("#sr-viewer-panel .sr-hl").all()]
        assert boxes, "no highlight box"
        sentence_y = image["y"] + image["height"] * baseline_top_percent(1) / 100  # the cited line's baseline
        assert any(b["y"] <= sentence_y <= b["y"] + b["height"] + 2 for b in boxes), (sentence_y, boxes)
        assert all(image["x"] <= b["x"] and b["x"] + b["width"] <= image["x"] + image["width"] + 1 for b in boxes)

        page.locator("#sr-viewer-next").click()
        page.wait_for_selector('#sr-viewer-panel .sr-viewer[data-page="3"]')
        assert page.locator("#sr-viewer-panel .sr-hl").count() == 0
        page.locator("#sr-viewer-prev").click()
        page.wait_for_selector('#sr-viewer-panel .sr-viewer[data-page="2"]')

        page.locator("#sr-sources-panel .sr-card", has_text="Terns").click()  # a card opens its source too
        page.wait_for_selector("#sr-viewer-panel mark.sr-viewer-hit")
        assert "They fly far <every> year." in page.locator("#sr-viewer-panel mark.sr-viewer-hit").inner_text()
        page.context.close()
    finally:
        app.close()


@pytest.mark.parametrize("locale, language", [("ko-KR", "ko"), ("fr-FR", "fr")])
def test_the_browser_language_picks_the_page_language(browser, stub_app, locale, language):
    from ui.i18n import text

    page = open_page(browser, stub_app.url, locale=locale)
    page.wait_for_function("t => document.querySelector('#sr-ask').innerText.trim() === t", arg=text("ask", language))
    assert page.locator("#sr-new").inner_text().strip() == text("new", language)
    # what the server writes: the sources panel, a notice, the documents tab
    page.wait_for_function("t => document.querySelector('#sr-sources-panel').innerText.includes(t)",
                           arg=text("sources_idle", language))
    box = page.locator("#sr-question textarea")
    box.fill("???")
    box.press("Enter")
    page.wait_for_selector("#sr-chat .sr-note")
    assert page.locator("#sr-chat .sr-note").inner_text().strip() == text("empty_question", language)
    ask(page, "Where do terns fly?")
    assert text("sources_cited", language, n=1).split("(")[0] in page.locator("#sr-sources-panel .sr-status").inner_text()
    page.locator("button[role=tab]", has_text=text("tab_documents", language)).click()
    headers = page.locator("#sr-documents th").all_inner_texts()
    assert any(text("col_ingested", language) in h for h in headers), headers
    page.locator("#sr-language label", has_text="English").click()  # the switch
    page.wait_for_function("() => document.querySelector('#sr-ask').innerText.trim() === 'Ask'")
    assert page.locator("#sr-new").inner_text().strip() == "New conversation"
    page.reload()  # the choice is remembered in this browser
    page.wait_for_selector("#sr-question textarea")
    page.wait_for_timeout(500)
    assert page.locator("#sr-ask").inner_text().strip() == "Ask"
    page.context.close()


def test_screenshot_korean_chat_with_the_viewer_open(browser, tmp_path):
    from test_viewer import stub_over

    app = StubApp(tmp_path / "data", lambda settings: stub_over(tmp_path, settings))
    try:
        page = open_page(browser, app.url, locale="ko-KR")
        page.wait_for_function("() => document.querySelector('#sr-ask').innerText.trim() === '질문하기'")
        ask(page, "증류한 모델은 얼마나 작아질 수 있나요?")
        page.locator("#sr-chat a.sr-cite").first.click()
        page.wait_for_selector("#sr-viewer-panel .sr-hl")
        page.wait_for_timeout(800)
        TEST_OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(TEST_OUTPUT / "ui-viewer-korean.png"), full_page=True)
        assert "대화 목록" in page.locator("#sr-conversations").inner_text()
        page.context.close()
    finally:
        app.close()


def test_a_question_scoped_to_one_document_cites_only_it(browser, tmp_path):
    from test_viewer import stub_over

    app = StubApp(tmp_path / "data", lambda settings: stub_over(tmp_path, settings))
    try:
        page = open_page(browser, app.url)
        page.locator("#sr-scope input").click()
        page.get_by_role("option", name="Terns").click()
        page.keyboard.press("Escape")
        ask(page, "Where do terns fly?")
        titles = page.locator("#sr-sources-panel .sr-card .sr-title").all_inner_texts()
        assert titles == ["Terns"], titles
        assert "📄 Terns" in page.locator("#sr-chat").inner_text()  # the scope is shown with the answer
        store = ConversationStore(app.settings.data_dir / "conversations.sqlite")
        (turn,) = store.turns(store.list("")[0].id, "")
        assert turn.scope == ("Terns",)  # and saved with the conversation
        page.context.close()
    finally:
        app.close()


def test_the_document_picker_follows_the_index_after_a_change_on_the_documents_tab(browser, stub_app):
    from ingest.types import IndexedDocument

    page = open_page(browser, stub_app.url)
    page.locator("#sr-scope input").click()
    page.get_by_role("option", name="Stub document").click()
    page.keyboard.press("Escape")
    documents = stub_app.stub.retriever().index.documents
    documents["d1"] = IndexedDocument("d1", "/stub/owls.txt", "Owl notes", ("en",), "", "h1", 1, 0.0)
    del documents["d0"]  # as an upload and a removal from elsewhere would leave the index
    page.locator("button[role=tab]", has_text="Documents").click()
    page.locator("#sr-remove").click()  # nothing picked: only the views refresh
    page.wait_for_selector("#sr-doc-status", state="attached")
    page.locator("button[role=tab]", has_text="Chat").click()
    page.locator("#sr-scope input").click()
    page.wait_for_selector("[role=option]:has-text('Owl notes')")
    assert page.get_by_role("option").all_inner_texts() == ["Owl notes"]
    assert "Stub document" not in page.locator("#sr-scope").inner_text()  # the removed choice is dropped
    page.context.close()


def test_thumbs_down_with_a_comment_is_stored_and_regenerate_answers_again(browser, stub_app):
    page = open_page(browser, stub_app.url)
    ask(page, "Where do terns fly?")
    page.locator("#sr-chat button[aria-label='Dislike']").last.click()
    page.locator("#sr-comment textarea").fill("the wrong passage")
    page.locator("#sr-send-comment").click()
    page.wait_for_selector("#sr-feedback", state="hidden")
    store = ConversationStore(stub_app.settings.data_dir / "conversations.sqlite")
    (rating,) = store.feedback()
    assert (rating.rating, rating.comment, rating.question) == (-1, "the wrong passage", "Where do terns fly?")
    assert rating.answer.citations and rating.index_version == "stub-v1"

    calls, cites = len(stub_app.stub.calls), page.locator("#sr-chat .sr-cite").count()
    page.locator("#sr-chat button[aria-label='Retry']").last.click()
    for _ in range(300):  # the stub is asked again
        if len(stub_app.stub.calls) > calls:
            break
        page.wait_for_timeout(100)
    page.wait_for_selector("#sr-sources-panel .sr-status-done")
    assert len(stub_app.stub.calls) == calls + 1 and stub_app.stub.calls[-1][0] == "Where do terns fly?"
    assert page.locator("#sr-chat").inner_text().count("Where do terns fly?") == 1  # one question, one answer
    page.wait_for_function("n => document.querySelectorAll('#sr-chat .sr-cite').length === n", arg=cites)
    page.wait_for_timeout(300)
    assert page.locator("#sr-chat .sr-cite").count() == cites  # the answer replaced, not added
    (turn,) = store.turns(store.list("")[0].id, "")  # the new answer replaced the old one
    assert turn.question == "Where do terns fly?" and len(store.feedback()) == 1
    page.context.close()


def test_a_citation_of_an_earlier_turn_opens_that_turns_source(browser, tmp_path):
    from test_viewer import stub_over

    app = StubApp(tmp_path / "data", lambda settings: stub_over(tmp_path, settings))
    try:
        page = open_page(browser, app.url)
        ask(page, "Where do terns fly?")
        page.locator("#sr-question textarea").fill("And how far?")
        page.locator("#sr-question textarea").press("Enter")
        page.wait_for_selector("#sr-sources-panel #src-2-1", timeout=60_000)
        assert page.locator("#src-1-2").count() == 0  # the first turn's cards are gone from the panel
        page.locator("#sr-chat a.sr-cite[href='#src-1-2']").first.click()
        page.wait_for_selector("#sr-viewer-panel mark.sr-viewer-hit")
        assert "They fly far <every> year." in page.locator("#sr-viewer-panel mark.sr-viewer-hit").inner_text()
        page.context.close()
    finally:
        app.close()
