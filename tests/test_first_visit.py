"""A reader's first action on a first visit, before the model has loaded: the line they need is the one shown.

Typing starts the model's download. Whatever the panel says meanwhile (a word to fix, an empty file) must not
be hidden by the download's progress line, and once the model is ready the panel never stays on a stale
"Downloading…" or "preparing the model" line.
"""

from __future__ import annotations

import pytest

from browser import goto_panel

STATUS = "[data-live] .live-status"
READY = "() => window.embeddingsBook.readySeconds !== null && window.embeddingsBook.readySeconds !== undefined"


def first_visit(browser, base: str, page_name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # nothing cached, no model
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    goto_panel(page, f"{base}/book/{page_name}.html")
    assert not page.evaluate(READY)
    return context, page


def status_once_ready(page) -> str:
    page.wait_for_function(READY, timeout=90000)
    page.wait_for_timeout(1000)  # within a second of the model being ready
    return page.locator(STATUS).first.inner_text()


def type_and_enter(page, field: str, text: str) -> None:
    box = page.locator(f'[data-live] input[name="{field}"]')
    box.fill(text)  # typing starts the download
    box.press("Enter")


@pytest.mark.parametrize(
    ("page_name", "act", "says"),
    [
        ("intro", lambda p: type_and_enter(p, "words", ", x"), "at least 2 words"),
        ("intro", lambda p: type_and_enter(p, "words", "cat, 🎉"), "has no letters or digits"),
        ("atlas", lambda p: type_and_enter(p, "query", "😀🎉"), "has no letters or digits"),
        (
            "your-texts",
            lambda p: p.locator('[data-live] input[type="file"]').set_input_files(
                {"name": "empty.txt", "mimeType": "text/plain", "buffer": b""}
            ),
            "empty.txt is empty",
        ),
    ],
    ids=["explorer-one-word", "explorer-emoji", "atlas-emoji", "workbench-empty-file"],
)
def test_the_first_actions_message_is_still_there_once_the_model_is_ready(browser_at, page_name, act, says):
    browser, base = browser_at
    context, page = first_visit(browser, base, page_name)
    try:
        act(page)
        status = status_once_ready(page)
        assert says in status, status
        assert not status.startswith(("Downloading", "Downloaded")), status
        assert page.errors == []
    finally:
        context.close()


def test_a_download_started_by_typing_ends_on_a_line_that_says_what_to_do(browser_at):
    browser, base = browser_at
    context, page = first_visit(browser, base, "intro")
    try:
        page.locator('[data-live] input[name="words"]').fill("cat, dog, wolf")  # typed, not yet applied
        status = status_once_ready(page)
        assert "ready" in status and "Enter" in status, status
        assert page.errors == []
    finally:
        context.close()


def test_the_bytes_counted_reach_the_total_the_button_announced(browser_at):
    """Every file in the announced total is counted as it arrives, the scripts loaded by import() included."""
    browser, base = browser_at
    context, page = first_visit(browser, base, "intro")
    try:
        announced = page.evaluate("window.embeddingsBook.manifest.bytes.model")
        page.locator("[data-live] .live-load").click()
        page.wait_for_function(READY, timeout=90000)
        received = page.evaluate("window.embeddingsBook.bytesReceived")
        assert 0.995 * announced <= received <= 1.005 * announced, (received, announced)
        assert page.errors == []
    finally:
        context.close()
