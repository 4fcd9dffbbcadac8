"""The site in Firefox and in WebKit (Safari's engine): every page, the model's vectors, each live panel.

The full matrix (desktop and phone, light and dark, axe-core) runs in Chromium (``test_site.py``,
``test_live_site.py``). Here each other engine runs desktop light, and WebKit each page once more, narrowed to a phone's width:
what breaks in one engine and not another is a page that fails to draw, an error, a request that leaves
the site, a model whose vectors drift, or a panel that never answers. The drivers are in ``engines.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from browser import FIGURE_STATE_JS, toc_pages
from engines import engine, serve_recorded
from test_live_site import FIGURE_DATA, PANELS, TEXTS
from test_site import NO_FIGURES

UNTIL = """const until = async (ok, what, ms = 90000) => {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};"""
DRAWN = (
    "async () => {"
    + UNTIL
    + """
  await until(() => document.readyState === "complete" && window.bookFigures, "the page's scripts");
  await window.bookFigures.drawAll(); // the figures below the fold are drawn lazily
  const figures = () => Array.from(document.querySelectorAll(".plotly-graph-div"));
  await until(() => figures().every((d) => d._fullLayout), "every figure drawn");
  await new Promise((r) => setTimeout(r, 300)); // fitted layouts (phone legends, wrapped titles) settle
  return { viewport: innerWidth, page: document.documentElement.scrollWidth,
           widest: Math.max(0, ...figures().map((d) => d.getBoundingClientRect().right)) };
}"""
)
ANSWERED = (
    "async () => {"
    + UNTIL
    + """
  const status = () => document.querySelector("[data-live] .live-status").textContent;
  await until(() => status() && !/^(Working|Download)/.test(status()), "the panel's answer");
  return { status: status(), error: !!document.querySelector("[data-live] .live-error") };
}"""
)
MODEL_READY = "async () => {" + UNTIL + 'await until(() => window.embeddingsBook.readySeconds, "the model"); }'
EMBED = "async (texts) => (await window.embeddingsBook.embed(texts)).map((row) => Array.from(row))"


@pytest.fixture(scope="module", params=["firefox", "webkit"])
def browser(request, site):
    """One browser of the engine for the whole module, on the site served with a problem recorder."""
    with serve_recorded(site) as (base, server_problems), engine(request.param, base) as driver:
        driver.base, driver.server_problems, driver.visited = base, server_problems, None
        yield driver


def visit(driver, path: str, viewport: str = "desktop") -> dict:
    """Open a page and draw every figure; what the page measured. The page stays open, and the next test
    on the same page and viewport uses it as it is (a panel's model already loaded is not loaded again)."""
    if driver.visited and driver.visited[:2] == (path, viewport) and driver.call("() => !!window.__visited"):
        return driver.visited[2]
    driver.opened_at = len(driver.server_problems)
    driver.open(f"{driver.base}/{path}", viewport)
    page = driver.call(DRAWN)
    page["figures"] = driver.call(FIGURE_STATE_JS)
    driver.call("() => { window.__visited = true; }")
    driver.visited = (path, viewport, page)
    return page


def problems(driver) -> list[str]:
    """Errors and outside requests since the page opened: the page's own, and those the server saw."""
    return driver.problems() + driver.server_problems[driver.opened_at :]


def assert_drawn(page: dict, path: str) -> None:
    if path in NO_FIGURES:
        return
    assert page["figures"], f"{path}: no figures"
    for figure in page["figures"]:
        assert figure["drawn"] and figure["traces"] > 0, f"{path}: {figure['id']} not drawn"


def load_the_model(driver) -> None:
    """Press the panel's button, as a reader would, and wait for the model (a no-op once it is there)."""
    if driver.call("() => window.embeddingsBook.readySeconds"):
        return
    driver.click("[data-live] .live-load")
    driver.call(MODEL_READY)
    assert not driver.call(ANSWERED)["error"]


def test_the_recorder_sees_errors_and_requests_that_leave_the_site(browser):
    """The checks below mean something: what they look for is seen in this engine, from a page and a worker."""
    visit(browser, "book/vectors.html")
    browser.call(
        """async () => {
          console.error("an error logged on purpose");
          setTimeout(() => { throw new Error("an error thrown on purpose"); });
          new Image().src = "http://outside.example/from-the-page.png";
          const worker = "fetch('https://outside.example/from-a-worker').catch(() => {})";
          window.__worker = new Worker(URL.createObjectURL(new Blob([worker], { type: "text/javascript" })));
          await new Promise((r) => setTimeout(r, 1500));
        }"""
    )
    seen = " | ".join(problems(browser))
    for what in ("an error logged on purpose", "an error thrown on purpose", "outside.example/from-the-page.png"):
        assert what in seen, seen
    assert "outside.example" in " | ".join(browser.server_problems[browser.opened_at :]), "nothing reached the proxy"
    assert "outside.example/from-a-worker" in seen or "outside.example:443" in seen, seen
    browser.visited = None  # the next test opens its page afresh


def test_the_browsers_vectors_match_python(browser, helpers):
    """Same texts and thresholds as Chromium's parity test (test_live_site.py)."""
    visit(browser, "book/intro.html")
    load_the_model(browser)
    vectors = np.array(browser.call(EMBED, TEXTS), dtype=np.float32)
    assert vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    cosines = np.sum(vectors * helpers.embed(TEXTS), axis=1)
    assert cosines.min() >= 0.98 and cosines.mean() >= 0.99, dict(zip(TEXTS, cosines.round(4)))
    assert problems(browser) == []


def type_into_the_panel(driver, name: str) -> dict:
    """Type the reader's own words into a chapter's panel and press Enter; the panel's answer."""
    kind, field, text = PANELS[name]
    assert driver.call("() => document.querySelector('[data-live]').dataset.live") == kind
    before = driver.call(f"() => ({FIGURE_DATA})(document.querySelector('[data-live]'))")
    driver.type(f'[data-live] input[name="{field}"]', text)
    answer = driver.call(ANSWERED)
    answer["changed"] = driver.call(f"() => ({FIGURE_DATA})(document.querySelector('[data-live]'))") != before
    return answer


PREDICT = """() => Array.from(document.querySelectorAll("[data-predict]")).map((box) => {
  const answer = box.querySelector(".predict-answer");
  const hiddenBefore = answer.hidden && !answer.offsetParent;
  box.querySelector(".predict-choice").click();
  return { hiddenBefore, shown: !answer.hidden && !!answer.offsetParent,
           verdict: box.querySelector(".predict-verdict").textContent };
})"""
TRIES = "() => Array.from(document.querySelectorAll('[data-live] [data-try]')).map((b) => b.dataset.try)"
INPUTS = """(names) => Object.fromEntries(names.map((n) => [n, document.querySelector(`[data-live] [name="${n}"]`).value]))"""


def try_a_prompt(driver) -> list[str]:
    """Press the first "try this" button of the page's panel; what went wrong (empty when the prompt filled its
    inputs, the panel answered and the figure changed). Every prompt of every panel runs in Chromium
    (test_live_site.py); here one shows the buttons work in this engine."""
    import json

    wrong = []
    prompts = driver.call(TRIES)[:1]
    for i, values in enumerate(prompts, start=1):
        values = json.loads(values)
        before = driver.call(f"() => ({FIGURE_DATA})(document.querySelector('[data-live]'))")
        driver.call("() => { document.querySelector('[data-live] .live-status').textContent = ''; }")
        driver.click(f"[data-live] .live-try li:nth-child({i}) [data-try]")
        answer = driver.call(ANSWERED)
        filled = driver.call(INPUTS, list(values))
        changed = driver.call(f"() => ({FIGURE_DATA})(document.querySelector('[data-live]'))") != before
        if answer["error"] or filled != values or not changed:
            wrong.append(f"prompt {i}: {answer} {filled} changed={changed}")
    return wrong


@pytest.mark.parametrize("path", toc_pages())
def test_every_page_draws_asks_and_its_panel_answers_with_no_error_and_nothing_from_outside(browser, path):
    assert_drawn(visit(browser, path), path)
    assert problems(browser) == [], f"{path}: the page alone"
    for box in browser.call(PREDICT):  # predict-then-reveal: no kernel, no model
        assert box["hiddenBefore"] and box["shown"] and box["verdict"].startswith("You said"), f"{path}: {box}"
    name = path.split("/")[-1].removesuffix(".html")
    if name in PANELS:
        answer = type_into_the_panel(browser, name)
        assert not answer["error"] and answer["changed"], f"{name}: {answer}"
        assert try_a_prompt(browser) == [], name  # "try this", with the model now loaded
        assert problems(browser) == [], f"{path}: after typing into its panel"
    if browser.name == "webkit":  # Safari's engine on a phone: the same page narrowed to 390 px, as it turns
        browser.resize("phone")
        browser.visited = None  # the page is no longer the desktop one
        browser.call("() => new Promise((r) => setTimeout(r, 800))")  # the figures refit after a resize
        page = browser.call(DRAWN)
        page["figures"] = browser.call(FIGURE_STATE_JS)
        assert page["viewport"] == 390, page
        assert_drawn(page, path)
        assert page["page"] <= page["viewport"] and page["widest"] <= page["viewport"] + 1, f"{path}: {page}"
        if name in PANELS:  # the panel still answers at a phone's width
            answer = type_into_the_panel(browser, name)
            assert not answer["error"] and answer["changed"], f"{name} at 390 px: {answer}"
        assert problems(browser) == [], f"{path} at 390 px"


LINKS = {  # page: a link's fragment (book-live-state.js) and the inputs it sets
    "intro": (
        "v=1&explorer.words=sun%2C%20moon%2C%20star%2C%20%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D1%3E&explorer.dims=3",
        {"words": "sun, moon, star, <img src=x onerror=window.__pwned=1>"},
    ),
    "vectors": (
        "v=1&playground.base=tea&playground.weight=1.5&playground.add=lemon&playground.subtract=",
        {"base": "tea", "weight": "1.5", "add": "lemon"},
    ),
}
OPENED = "() => document.querySelector('[data-live] .live-status').textContent"


@pytest.mark.parametrize("name", LINKS)
def test_a_shared_link_restores_the_view_and_starts_no_download(browser, name):
    fragment, inputs = LINKS[name]
    browser.visited = None  # a page of its own: the link is read when the page opens
    browser.opened_at = len(browser.server_problems)
    browser.open(f"{browser.base}/book/{name}.html#{fragment}")
    browser.call(DRAWN)
    assert browser.call(INPUTS, list(inputs)) == inputs
    assert "Opened from a link" in browser.call(OPENED)
    assert browser.call("() => window.embeddingsBook.bytesReceived") == 0
    browser.call("() => { document.querySelector('[data-live] .live-status').textContent = ''; }")
    browser.click("[data-live] .live-load")
    answer = browser.call(ANSWERED)
    assert not answer["error"] and answer["status"].startswith("Updated"), answer
    assert browser.call("() => window.__pwned === undefined")  # the tag in the link is a label, never an element
    assert browser.call("() => document.querySelectorAll('[data-live] img, [data-live] [onerror]').length") == 0
    assert problems(browser) == []


def test_a_bad_link_gives_one_line(browser):
    browser.visited = None
    browser.opened_at = len(browser.server_problems)
    browser.open(f"{browser.base}/book/intro.html#v=2&explorer.words=%E0%A4%A")
    browser.call(DRAWN)
    line = browser.call(OPENED)
    assert "default view" in line and "\n" not in line, line
    assert browser.call("() => !!document.querySelector('[data-live] .live-error')")
    assert problems(browser) == []
