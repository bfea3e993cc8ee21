"""The chat page in a real browser: Debian's Chromium driven by Playwright (no browser download).

Asks one Korean question and measures, from pressing Enter, when the sources preview, the
first token and the full answer appear (printed and written to test-output/ui-timings.json);
saves screenshots of the answered chat and of the documents tab under test-output/.
"""

from __future__ import annotations

import json
import time

import pytest

from conftest import needs_chromium
from ui import i18n
from ui_fixtures import TEST_OUTPUT, close_server, ui_server

KOREAN_QUESTION = "디코더 전용 모델이 왜 주류가 되었나?"
QUOKKA_TITLE = "Quokka-3 field notes"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    needs_chromium,
]


@pytest.fixture(scope="session")
def server(request, tmp_path_factory, corpus_settings, embedder, generator):
    request.addfinalizer(close_server)
    return ui_server(tmp_path_factory, corpus_settings, embedder, generator)


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url)
    page.wait_for_selector("#sr-question textarea")
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # what the page showed when the test failed
        TEST_OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(TEST_OUTPUT / f"ui-failure-{request.node.name}.png"), full_page=True)
    context.close()


def test_korean_question_streams_a_cited_answer(page):
    TEST_OUTPUT.mkdir(exist_ok=True)
    box = page.locator("#sr-question textarea")
    box.fill(KOREAN_QUESTION)
    started = time.monotonic()
    box.press("Enter")

    page.wait_for_selector("#sr-sources-panel .sr-card.sr-preview", timeout=120_000)
    sources_s = time.monotonic() - started
    page.wait_for_function("() => (document.querySelector('#sr-chat') || {}).innerText.includes('▌')",
                           timeout=180_000, polling=50)
    first_token_s = time.monotonic() - started
    page.wait_for_selector("#sr-sources-panel .sr-status-done", timeout=240_000)
    page.wait_for_selector("#sr-chat a.sr-cite", timeout=10_000)
    total_s = time.monotonic() - started
    timings = {"question": KOREAN_QUESTION, "sources_preview_s": round(sources_s, 2),
               "first_token_s": round(first_token_s, 2), "full_answer_s": round(total_s, 2),
               "pipeline_reported": page.locator("#sr-sources-panel .sr-timing").inner_text()}
    (TEST_OUTPUT / "ui-timings.json").write_text(json.dumps(timings, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nbrowser: Enter -> sources {sources_s:.1f} s, first token {first_token_s:.1f} s, "
          f"full answer {total_s:.1f} s (pipeline: {timings['pipeline_reported']})")

    assert page.locator("#sr-chat").inner_text().count(KOREAN_QUESTION) >= 1
    # The page may reopen an earlier saved conversation of the same data folder: this answer's links are last.
    link = page.locator("#sr-chat a.sr-cite").last
    assert link.inner_text().strip().startswith("[")
    target = link.get_attribute("href").lstrip("#")
    tooltip = link.get_attribute("title")
    card = page.locator(f"#sr-sources-panel #{target}")
    assert card.count() == 1 and card.locator("mark").count() >= 1
    assert card.locator(".sr-title").inner_text().strip() in tooltip  # the reference names its passage
    assert i18n.text("score_support", "ko", score="").strip() in card.inner_text()  # the page is in Korean
    assert "▌" not in page.locator("#sr-chat").inner_text()

    link.click()  # scrolls to the card and flashes it, instead of following the link
    page.wait_for_selector(f"#{target}.sr-flash", timeout=5_000)
    assert "#src" not in page.url and len(page.context.pages) == 1  # no navigation, no new tab
    page.wait_for_timeout(1900)
    page.screenshot(path=str(TEST_OUTPUT / "ui-chat-answered.png"), full_page=True)


def test_documents_tab_upload_and_reingest(page, server, tmp_path):
    page.get_by_role("tab", name=i18n.text("tab_documents", "ko")).click()
    table = page.locator("#sr-documents")
    table.wait_for()
    path = tmp_path / "quokka-notes.md"
    path.write_text(f"# {QUOKKA_TITLE}\n\nThe Quokka-3 model reads maps of coral reefs and was tested in 2031.\n",
                    encoding="utf-8")
    page.locator("#sr-upload input[type=file]").set_input_files(str(path))
    # The upload shares the server with the chat test's generation: on a loaded machine it took over 30 s.
    page.locator("#sr-upload").get_by_text("quokka-notes.md").first.wait_for(timeout=120_000)
    page.locator("#sr-add").click()
    page.wait_for_function("() => document.querySelector('#sr-doc-status').innerText.includes('✓')",
                           timeout=120_000)
    assert QUOKKA_TITLE in page.locator("#sr-doc-status").inner_text()
    page.wait_for_function(f"() => document.querySelector('#sr-documents').innerText.includes({QUOKKA_TITLE!r})")
    assert (server.settings.data_dir / "uploads" / "quokka-notes.md").is_file()

    page.locator("#sr-reingest").click()  # the corpus folder is unchanged: nothing lost, nothing re-embedded
    reingested = i18n.text("reingested", "ko", folder="", summary="").strip(" `:")
    page.wait_for_function(f"() => document.querySelector('#sr-doc-status').innerText.includes({reingested!r})",
                           timeout=120_000)
    assert "0 removed" in page.locator("#sr-doc-status").inner_text()
    assert QUOKKA_TITLE in page.locator("#sr-documents").inner_text()
    page.wait_for_timeout(1000)  # let the outputs' pending fade end
    page.screenshot(path=str(TEST_OUTPUT / "ui-documents.png"), full_page=True)
