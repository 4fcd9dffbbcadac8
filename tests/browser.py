"""Serve the built site on 127.0.0.1 and visit it with Playwright driving Debian's chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
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
    text: str = ""


FIGURE_STATE_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => ({
    id: div.id,
    drawn: !!div._fullLayout && div.querySelectorAll('.main-svg').length > 0,
    traces: (div.data || []).length,
    points: (div._fullData || []).reduce((n, t) => n + ((t.x && t.x.length) || (t.z && t.z.length) || 0), 0),
    frames: (div._transitionData && div._transitionData._frames || []).length,
    sliders: (div.layout.sliders || []).length,
    menus: (div.layout.updatemenus || []).length,
    active: div.layout.sliders ? div.layout.sliders[0].active : (div.layout.updatemenus ? div.layout.updatemenus[0].active : null),
    width: div.getBoundingClientRect().width,
    height: div.getBoundingClientRect().height,
}))"""


def goto_drawn(page, url: str) -> None:
    """Load a page and wait until it is parsed and every plotly figure on it has been drawn."""
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => document.readyState === 'complete' && "
        "Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d._fullLayout)",
        timeout=60000,
    )


def visit(browser, base: str, page_path: str, screenshot: Path | None = None, width: int = 1280) -> Visit:
    """Load one page; record console errors, requests leaving the site and the state of every figure."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    result = Visit(url=f"{base}/{page_path}")
    page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(msg.text))
    page.on("pageerror", lambda err: result.console_errors.append(str(err)))

    def on_request(request):
        if not request.url.startswith((base, "data:", "blob:", "about:")):
            result.outside_requests.append(request.url)

    page.on("request", on_request)
    page.on("requestfailed", lambda req: result.failed_requests.append(req.url))
    page.on("response", lambda resp: resp.status >= 400 and result.failed_requests.append(f"{resp.status} {resp.url}"))
    goto_drawn(page, result.url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1200)  # long enough for an auto-playing animation to have moved
    result.figures = page.evaluate(FIGURE_STATE_JS)
    result.text = page.inner_text("main")
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return result
