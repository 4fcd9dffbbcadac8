"""Serve the built site on 127.0.0.1 and visit it with Playwright driving Debian's chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def toc_pages() -> list[str]:
    """The html path of every page in _toc.yml, root first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            for part in entry.get("chapters", []) if "chapters" in entry else []:
                files.append(part["file"])

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return [f"{f}.html" for f in files]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    url: str
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    layout: dict = field(default_factory=dict)
    axe: list[dict] = field(default_factory=list)
    text: str = ""


FIGURE_STATE_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => [div, div.layout || {}])
  .map(([div, layout]) => ({
    id: div.id,
    drawn: !!div._fullLayout && div.querySelectorAll('.main-svg').length > 0,
    traces: (div.data || []).length,
    points: (div._fullData || []).reduce((n, t) => n + ((t.x && t.x.length) || (t.z && t.z.length) || 0), 0),
    frames: (div._transitionData && div._transitionData._frames || []).length,
    sliders: (layout.sliders || []).length,
    menus: (layout.updatemenus || []).length,
    active: (layout.sliders || [])[0]?.active ?? (layout.updatemenus || [])[0]?.active ?? null,
    width: div.getBoundingClientRect().width,
    height: div.getBoundingClientRect().height,
}))"""


def goto_drawn(page, url: str) -> None:
    """Load a page and wait until every plotly figure on it has been drawn, the lazy ones included."""
    page.goto(url, wait_until="load")
    page.wait_for_function("() => document.readyState === 'complete' && window.bookFigures", timeout=60000)
    page.evaluate("() => window.bookFigures.drawAll()")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d._fullLayout)", timeout=60000
    )
    page.wait_for_timeout(300)  # fitted layouts (phone legends, wrapped titles) settle


PANEL_FIGURES = "Array.from(document.querySelectorAll('[data-live] .plotly-graph-div'))"


def goto_panel(page, url: str) -> None:
    """Load a page and wait for its live panel: its frame set up and its own figures drawn (the chapter's
    figures stay lazy, as a reader who has not scrolled to them sees them; a third of the time of goto_drawn)."""
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => document.readyState === 'complete' && window.bookFigures && document.querySelector('[data-live]')?.bookFill",
        timeout=60000,
    )
    page.evaluate(f"() => Promise.all({PANEL_FIGURES}.map((d) => window.bookFigures.drawNow(d)))")
    page.wait_for_function(f"() => {PANEL_FIGURES}.every(d => d._fullLayout)", timeout=60000)
    page.wait_for_timeout(300)  # fitted layouts settle


LAYOUT_JS = """() => {
  const boxes = (nodes) => nodes.map(n => n.getBoundingClientRect()).filter(r => r.width > 0);
  const overlaps = (rs) => { let n = 0; for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
      const a = rs[i], b = rs[j]; if (a.left < b.right - 1 && a.right > b.left + 1 && a.top < b.bottom - 1 && a.bottom > b.top + 1) n++; }
      return n; };
  return {
    viewport: window.innerWidth, page: document.documentElement.scrollWidth,
    theme: document.documentElement.dataset.theme,
    figures: Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => {
      const r = div.getBoundingClientRect();
      const title = div.querySelector('.gtitle');
      const t = title ? title.getBoundingClientRect() : null;
      const labels = Array.from(div.querySelectorAll('.scatterlayer .textpoint text'))
        .filter(n => n.textContent && getComputedStyle(n).opacity !== '0');
      const wrapper = div.closest('[role=figure]');
      return {
        id: div.id, left: r.left, right: r.right, width: r.width,
        title: title ? title.textContent : '',
        titleInside: !t || (t.left >= r.left - 1 && t.right <= r.right + 1),
        paper: div._fullLayout.paper_bgcolor, font: div._fullLayout.font.color,
        overlaps: overlaps(boxes(labels)), labels: labels.length,
        alt: wrapper ? wrapper.getAttribute('aria-label') : null,
      };
    }),
  };
}"""


def worker_heap(page, script: str) -> int:
    """Bytes in use in the JavaScript heap of the page's Web Worker whose script's address contains ``script``,
    after a garbage collection: CDP's HeapProfiler.collectGarbage and Runtime.getHeapUsage, sent to the
    worker's own target (a page's CDP session reaches only the page's main thread)."""
    cdp = page.context.browser.new_browser_cdp_session()
    answers: dict[int, dict] = {}
    cdp.on("Target.receivedMessageFromTarget", lambda e: answers.update({(m := json.loads(e["message"])).get("id"): m}))
    try:
        workers = [
            t for t in cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "worker" and script in t["url"]
        ]
        assert len(workers) == 1, workers
        session = cdp.send("Target.attachToTarget", {"targetId": workers[0]["targetId"], "flatten": False})["sessionId"]
        for number, method in enumerate(("HeapProfiler.collectGarbage", "Runtime.getHeapUsage"), start=1):
            cdp.send(
                "Target.sendMessageToTarget",
                {"sessionId": session, "message": json.dumps({"id": number, "method": method})},
            )
            for _ in range(500):  # the answer comes as an event, handled while Playwright waits
                if number in answers:
                    break
                page.wait_for_timeout(20)
            assert "result" in answers.get(number, {}), answers.get(number)
        cdp.send("Target.detachFromTarget", {"sessionId": session})
        return int(answers[2]["result"]["usedSize"])
    finally:
        cdp.detach()


def layout_report(page) -> dict:
    """Widths, titles, theme colours, visible label overlaps and text alternatives of a drawn page."""
    return page.evaluate(LAYOUT_JS)


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2 A and AA violations on the current page (axe-core from node_modules)."""
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return result


SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
MODES = [f"{size}-{theme}" for size in SIZES for theme in ("light", "dark")]  # desktop-light, ..., phone-dark
TO_DARK = """() => { const root = document.documentElement;
  root.dataset.mode = 'dark'; root.dataset.theme = 'dark'; localStorage.setItem('mode', 'dark');
  localStorage.setItem('theme', 'dark'); }"""  # what the theme button does
PAPERS = "() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => d._fullLayout.paper_bgcolor)"


def visit(browser, base: str, page_path: str, size: str = "desktop") -> dict[str, Visit]:
    """Load one page at a size in light mode and check it, then switch it to dark as the theme button does
    and check it again: console errors, requests leaving the site, figures, layout and axe, per theme."""
    page = browser.new_page(viewport=SIZES[size])
    light = Visit(url=f"{base}/{page_path}")
    page.on("console", lambda msg: msg.type == "error" and light.console_errors.append(msg.text))
    page.on("pageerror", lambda err: light.console_errors.append(str(err)))

    def on_request(request):
        if not request.url.startswith((base, "data:", "blob:", "about:")):
            light.outside_requests.append(request.url)

    page.on("request", on_request)
    page.on("requestfailed", lambda req: light.failed_requests.append(req.url))
    page.on("response", lambda resp: resp.status >= 400 and light.failed_requests.append(f"{resp.status} {resp.url}"))
    goto_drawn(page, light.url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1200 if size == "desktop" else 300)  # an auto-playing animation would have moved

    def check(result: Visit) -> Visit:
        result.figures = page.evaluate(FIGURE_STATE_JS)
        result.layout = layout_report(page)
        result.axe = axe_violations(page)
        result.text = page.inner_text("main")
        return result

    visits = {"light": check(light)}
    before = page.evaluate(PAPERS)
    page.evaluate(TO_DARK)  # the same page, switched: errors and requests are recorded from the page's start
    page.wait_for_function(f"(before) => ({PAPERS})().every((p, i) => p !== before[i])", arg=before, timeout=10000)
    page.wait_for_timeout(300)
    visits["dark"] = check(Visit(light.url, light.console_errors, light.outside_requests, light.failed_requests))
    page.close()
    return visits
