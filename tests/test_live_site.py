"""The live panels of the static site in real Chromium: the model in the browser, the reader's own words."""

from __future__ import annotations

import numpy as np
import pytest

from browser import goto_drawn, goto_panel

PANELS = {  # page: (kind, the field to type into, the reader's own text)
    "intro": ("explorer", "words", "lighthouse, harbour, sailor, ocean, desert, camel, cactus"),
    "vectors": ("playground", "base", "coffee"),
    "deep-learning": ("search", "query", "what should I feed a puppy"),
    "human-experience": ("images", "sentence", "the number eight"),
    "inside": ("tokens", "text", "Supercalifragilisticexpialidocious!"),
    "atlas": ("atlas", "query", "a lighthouse on a rocky coast"),
}
BAD = {
    "empty": "",
    "only commas": " , , ,",
    "500 words": " ".join(["word"] * 500),
    "10,000 characters": "x" * 10_000,
    "emoji only": "😀🎉",
    "right-to-left": "مرحبا بالعالم, שלום עולם",
}
# Written for this test, in several scripts.
TEXTS = [
    "king",
    "naïve café ☕",
    "Привет, как дела?",
    "東京タワーの夜景",
    "مرحبا بالعالم",
    "שלום עולם",
    "The bat flew out of the cave at dusk.",
    "¿Dónde está la biblioteca?",
    "नमस्ते दुनिया",
    "🎉",
]
STATUS = ".live-status"
FIGURE_DATA = "el => JSON.stringify(Array.from(el.querySelectorAll('.plotly-graph-div')).map(d => d.data))"


class Page:
    """One page with its console errors, page errors and requests recorded."""

    def __init__(self, browser, base: str, name: str, init_script: str | None = None):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        if init_script:
            self.page.add_init_script(init_script)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.base = base
        goto_panel(self.page, f"{base}/book/{name}.html")
        self.panel = self.page.locator("[data-live]")

    def status(self) -> str:
        return self.panel.locator(STATUS).inner_text()

    def apply(self, field: str, text: str) -> str:
        """Type into a field, press Enter, wait for the panel's answer; the status line."""
        before = self.page.evaluate("() => window.__seen = (window.__seen || 0) + 1")
        self.page.evaluate(
            "n => { const s = document.querySelector('.live-status'); s.dataset.seen = n; s.textContent = ''; }", before
        )
        box = self.panel.locator(f'input[name="{field}"]')
        box.fill(text)
        box.press("Enter")
        self.page.wait_for_function(
            "() => { const s = document.querySelector('.live-status').textContent;"
            " return s && !/^(Working|Download)/.test(s); }",
            timeout=60000,
        )
        return self.status()


@pytest.fixture(scope="module")
def loaded(browser_at):
    """Each chapter's page with its panel's model loaded by the button, as a reader would."""
    browser, base = browser_at
    pages = {}
    for name in PANELS:
        page = Page(browser, base, name)
        outside = [u for u in page.requests if "/_static/live/" in u and "/live/manifest.js" not in u]
        assert outside == [], f"{name} fetched {outside} before the reader asked"
        button = page.panel.locator(".live-load")
        assert "MB, once" in button.inner_text()
        button.click()
        page.page.wait_for_function(
            "() => /^(Updated|Right)/.test(document.querySelector('.live-status').textContent)", timeout=60000
        )
        pages[name] = page
    yield pages
    for page in pages.values():
        page.page.close()


def test_the_button_states_the_download_and_it_stays_under_35_mb(loaded):
    for name, page in loaded.items():
        text = page.panel.locator(".live-load").inner_text() if page.panel.locator(".live-load").is_visible() else ""
        received = page.page.evaluate("window.embeddingsBook.bytesReceived")
        assert received <= 35e6, f"{name}: {received / 1e6:.1f} MB fetched"
        assert not text, "the button goes away once the model is there"


def test_embed_in_the_browser_matches_python(loaded, helpers):
    page = loaded["intro"].page
    rows = page.evaluate("async texts => (await window.embeddingsBook.embed(texts)).map(r => Array.from(r))", TEXTS)
    browser_vectors = np.array(rows, dtype=np.float32)
    assert browser_vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(browser_vectors, axis=1), 1, atol=1e-4)
    cosines = np.sum(browser_vectors * helpers.embed(TEXTS), axis=1)
    assert cosines.min() >= 0.98 and cosines.mean() >= 0.99, dict(zip(TEXTS, cosines.round(4)))


@pytest.mark.parametrize("name", PANELS)
def test_typing_your_own_words_changes_the_figure(loaded, name):
    page = loaded[name]
    kind, field, text = PANELS[name]
    assert page.panel.get_attribute("data-live") == kind
    before = page.panel.evaluate(FIGURE_DATA)
    status = page.apply(field, text)
    assert not page.panel.locator(".live-error").count(), status
    assert page.panel.evaluate(FIGURE_DATA) != before, f"{kind}: the figure did not change"
    assert page.errors == [], page.errors


def test_the_explorer_switches_to_3d(loaded):
    page = loaded["intro"]
    page.panel.locator('button[value="3"]').click()
    page.page.wait_for_function(
        "() => document.querySelector('[data-live] .plotly-graph-div').data[0].type === 'scatter3d'", timeout=30000
    )
    assert page.errors == []


def test_words_that_look_like_dates_or_numbers_stay_words_on_every_axis(loaded, helpers):
    page = loaded["intro"]
    words = ["2024-01-01", "2024-01-02", "2024-06-30", "1984"]
    page.apply("words", ", ".join(words))
    axes = page.panel.evaluate(
        "el => Array.from(el.querySelectorAll('.plotly-graph-div')).filter(d => d.data[0].type === 'heatmap')"
        ".map(d => [d._fullLayout.xaxis.type, d._fullLayout.yaxis.type, d._fullLayout.xaxis._categories])"
    )
    assert axes == [["category", "category", words]]  # one cell per word, not a Jan–Sep time line
    python = helpers.plot_heatmap(words).layout
    assert (python.xaxis.type, python.yaxis.type) == ("category", "category")
    assert page.errors == []


def test_the_search_panel_ranks_as_the_chapter_does(browser_at):
    """The panel's first figure comes from Python; pressing the button runs the same query in the browser."""
    browser, base = browser_at
    page = Page(browser, base, "deep-learning")
    ranking = "el => JSON.stringify(el.querySelector('.plotly-graph-div').data.map(t => Array.from(t.y)))"
    python_ranking = page.panel.evaluate(ranking)
    page.panel.locator(".live-load").click()
    page.page.wait_for_function(
        "() => /^Updated/.test(document.querySelector('.live-status').textContent)", timeout=60000
    )
    assert page.panel.evaluate(ranking) == python_ranking  # by meaning and by keywords
    page.page.close()


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("name", PANELS)
def test_bad_input_gets_one_line_and_no_console_error(loaded, name, bad):
    page = loaded[name]
    _, field, _ = PANELS[name]
    status = page.apply(field, BAD[bad])
    assert status and "\n" not in status and len(status) < 300, status
    assert "Traceback" not in status and "undefined" not in status and "Something went wrong" not in status, status
    assert page.errors == [], page.errors


def test_later_pages_reuse_what_the_browser_cached(browser_at):
    browser, base = browser_at
    context = browser.new_context()
    first = context.new_page()
    goto_panel(first, f"{base}/book/intro.html")
    first.locator(".live-load").click()
    first.wait_for_function("() => window.embeddingsBook.readySeconds", timeout=60000)
    second = context.new_page()
    goto_panel(second, f"{base}/book/inside.html")
    goto_panel(second, f"{base}/book/vectors.html")
    second.locator(".live-load").click()
    second.wait_for_function("() => window.embeddingsBook.readySeconds", timeout=60000)
    assert second.evaluate("window.embeddingsBook.bytesReceived") < 3e6  # the page's own data, not the model
    context.close()


def test_no_webassembly_or_a_failed_download_gets_a_message_and_the_figures_stay(browser_at):
    browser, base = browser_at
    no_wasm = Page(browser, base, "intro", init_script="delete window.WebAssembly;")
    assert "WebAssembly" in no_wasm.status()
    no_wasm.panel.locator(".live-load").click()
    assert "WebAssembly" in no_wasm.status()
    assert no_wasm.page.evaluate("document.querySelectorAll('[data-live] .plotly-graph-div')[0].data.length") > 0
    no_wasm.page.close()

    failing = Page(browser, base, "vectors")
    failing.page.route("**/model_quantized.onnx.gz", lambda route: route.abort())
    failing.panel.locator(".live-load").click()
    failing.page.wait_for_selector(".live-status.live-error", timeout=60000)
    assert "could not load" in failing.status()
    assert failing.page.evaluate("document.querySelector('[data-live] .plotly-graph-div').data.length") > 0
    failing.page.close()


def test_opened_from_disk_figures_draw_and_the_panel_says_make_serve(browser_at, site):
    """The README says the site may be opened from disk: every figure draws; the panel points to make serve."""
    browser, _ = browser_at
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    goto_drawn(page, (site / "book" / "intro.html").resolve().as_uri())
    assert page.evaluate("Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d._fullLayout)")
    assert "make serve" in page.locator("[data-live] .live-status").inner_text()
    page.locator("[data-live] .live-load").click()
    assert "make serve" in page.locator("[data-live] .live-status").inner_text()
    assert errors == []
    page.close()


def test_nothing_outside_the_site(loaded):
    for name, page in loaded.items():
        outside = [u for u in page.requests if not u.startswith((page.base, "data:", "blob:"))]
        assert outside == [], f"{name}: {outside}"


PLAY_JS = """async (audio) => {
    audio.muted = true;  // a page may start muted playback without a click
    await audio.play();
    await new Promise((done) => (audio.currentTime > 0 ? done() : audio.addEventListener("timeupdate", done, { once: true })));
    audio.pause();
    return { duration: audio.duration, played: audio.currentTime, error: audio.error && audio.error.code };
}"""


def test_the_page_plays_its_spoken_clips(browser_at, site):
    """The human-experience page: every <audio> plays a file the site serves, with a text alternative."""
    browser, base = browser_at
    page = Page(browser, base, "human-experience")
    players = page.page.locator("audio")
    assert players.count() >= 10  # the four held-out voices, "the number seven", the panel's five
    for i in range(players.count()):
        audio = players.nth(i)
        src = audio.get_attribute("src")
        assert src.startswith("../_static/live/panels/sounds/") and src.endswith(".wav"), src
        assert (site / "book" / src).resolve().is_file(), src
        assert audio.get_attribute("aria-label").startswith("a voice saying '")
        assert audio.get_attribute("preload") == "none"  # nothing downloads until the reader presses play
    sounds = list((site / "_static" / "live" / "panels" / "sounds").iterdir())
    assert len(sounds) == 120 and sum(f.stat().st_size for f in sounds) <= 2_000_000
    assert not [u for u in page.requests if u.endswith(".wav")]
    result = players.first.evaluate(PLAY_JS)
    assert result["duration"] > 0.15 and result["played"] > 0 and result["error"] is None, result
    assert page.errors == [], page.errors
    page.page.close()


def test_a_typed_phrase_returns_digits_and_sounds(loaded):
    page = loaded["human-experience"]
    status = page.apply("sentence", "someone saying three")
    assert "The closest clips say" in status, status
    clips = page.panel.locator(".book-clips li")
    assert clips.count() == 5
    labels = [clips.nth(i).locator(".book-clip-label").inner_text() for i in range(5)]
    assert sum("'three'" in label for label in labels) >= 4, labels
    assert all(label.startswith("a voice saying '") and "held-out voice" in label for label in labels), labels
    assert "someone saying three" in page.panel.locator(".book-clips figcaption").inner_text()
    first = clips.first.locator("audio")
    assert "/_static/live/panels/sounds/" in first.evaluate("a => a.src")
    result = first.evaluate(PLAY_JS)
    assert result["duration"] > 0.15 and result["error"] is None, result
    # the reader's text is text: shown as typed, never parsed as HTML
    page.apply("sentence", "<img src=x onerror=alert(1)> seven")
    assert "<img src=x" in page.panel.locator(".book-clips figcaption").inner_text()
    assert page.panel.locator(".book-clips img").count() == 0
    assert page.errors == [], page.errors


@pytest.mark.parametrize("name", PANELS)
def test_try_this_buttons_fill_the_panel_and_change_the_figure(loaded, name):
    import json

    page = loaded[name]
    buttons = page.panel.locator("[data-try]")
    assert buttons.count() >= 3, f"{name}: fewer than three try-this prompts"
    for i in range(buttons.count()):
        button = buttons.nth(i)
        values = json.loads(button.get_attribute("data-try"))
        hint = button.locator("xpath=..").inner_text()
        assert len(hint) > len(button.inner_text()) + 15, f"{name}: a prompt without a line on what to look for"
        before = page.panel.evaluate(FIGURE_DATA)
        page.page.evaluate("() => { document.querySelector('[data-live] .live-status').textContent = ''; }")
        button.click()
        page.page.wait_for_function(
            "() => /^(Updated|Right)/.test(document.querySelector('[data-live] .live-status').textContent)",
            timeout=60000,
        )
        for field, value in values.items():
            box = page.panel.locator(f'[name="{field}"]').first
            assert box.input_value() == value, (name, field)
        assert page.panel.evaluate(FIGURE_DATA) != before, f"{name}: {values} did not change the figure"
    assert page.errors == []


def test_the_model_runs_in_a_web_worker(loaded):
    """transformers.js and the model load in book-model-worker.js: the page's main thread never imports them."""
    page = loaded["intro"].page
    assert [w.url for w in page.workers if w.url.endswith("/_static/book-model-worker.js")]
    on_main_thread = (
        "performance.getEntriesByType('resource').filter(e => /transformers|\\.onnx|ort-wasm/.test(e.name))"
    )
    assert page.evaluate(f"{on_main_thread}.map(e => e.name)") == []
    tokens = loaded["inside"].page.evaluate("window.embeddingsBook.tokenize('petrichor')")
    assert tokens["tokens"] == ["[CLS]", "pet", "##rich", "##or", "[SEP]"] and len(tokens["ids"]) == 5
