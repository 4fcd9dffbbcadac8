"""`make bench`, in the browser: the model behind the live panels, and the workbench's budgets.

The CPU is slowed as DevTools does it ("4x slowdown": ``Emulation.setCPUThrottlingRate`` through
Playwright's CDP session). That slows the page's main thread only: Chromium refuses it for workers
("Operation is only supported for pages, not workers"), so with the model in a Web Worker it measures
what a slow main thread (a page busy drawing) costs the model, not a phone that is slower at everything.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from pathlib import Path

from browser import chromium, goto_drawn, serve


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _renderers() -> list[int]:
    """The renderer processes of the Chromium this process started (and no other)."""
    out = []
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            if b"--type=renderer" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
    return out


PER_TEXT_JS = """async ([prefix, warm]) => {
    if (warm) await window.embeddingsBook.warmedUp;
    const times = [];
    for (let i = 0; i < 21; i++) {
        const t = performance.now();
        await window.embeddingsBook.embed([`${prefix} ${i} about the sea`]);
        times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[10] / 1000; }"""

NEW_WORD_JS = """async (words) => {
    const panel = document.querySelector('[data-live="explorer"]');
    const box = panel.querySelector('input[name="words"]');
    const status = panel.querySelector('.live-status');
    const times = [];
    for (const [i, word] of words.entries()) {
        status.textContent = '';
        const t = performance.now();
        box.value = `king, queen, cat, dog, car, train, ${word}`;
        box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
        while (!/^Updated/.test(status.textContent)) await new Promise(r => setTimeout(r, 2));
        times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] / 1000; }"""

WORDS = ["zeppelin", "marmalade", "hurricane", "violin", "glacier", "lantern", "compass", "meadow", "anchor"]


def model_speed(html: Path, slow: str = "", rate: float = 4.0) -> dict:
    """Press the intro's button: bytes, time to ready, each further text, a new word in the explorer, the next page."""
    out: dict = {}
    with serve(html) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        goto_drawn(page, f"{base}/book/intro.html")
        out["stated"] = page.locator("[data-live] .live-load").inner_text()
        if slow == "cdp":
            context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
        started = time.perf_counter()
        page.locator("[data-live] .live-load").click()
        page.wait_for_function("() => window.embeddingsBook.readySeconds", timeout=180000, polling=20)
        out["ready"] = time.perf_counter() - started
        page.wait_for_function(
            "() => /^Updated/.test(document.querySelector('.live-status').textContent)", timeout=120000
        )
        out["fetched"] = page.evaluate("window.embeddingsBook.bytesReceived")
        out["per_text"] = page.evaluate(PER_TEXT_JS, ["a further sentence number", False])
        out["warmed"] = page.evaluate(PER_TEXT_JS, ["another sentence, number", True])
        out["new_word"] = page.evaluate(NEW_WORD_JS, WORDS)
        if not slow:
            second = context.new_page()
            goto_drawn(second, f"{base}/book/vectors.html")
            again = time.perf_counter()
            second.locator("[data-live] .live-load").click()
            second.wait_for_function("() => window.embeddingsBook.readySeconds", timeout=60000)
            out["again"] = time.perf_counter() - again
            out["refetched"] = second.evaluate("window.embeddingsBook.bytesReceived")
        context.close()
    return out


def median_of(runs: list[dict]) -> dict:
    """Each number's median over runs (strings from the first)."""
    first = runs[0]
    return {k: (statistics.median(r[k] for r in runs) if isinstance(v, (int, float)) else v) for k, v in first.items()}


LONGEST_TASK = """window.__longest = 0;
new PerformanceObserver((list) => list.getEntries().forEach((e) => (window.__longest = Math.max(window.__longest, e.duration))))
  .observe({ type: "longtask", buffered: true });"""

WORKBENCH_JS = """async (texts) => {
    const book = window.embeddingsBook, wb = window.bookWorkbench, out = {};
    const time = async (name, job) => { const t = performance.now(); const r = await job(); out[name] = (performance.now() - t) / 1000; return r; };
    const few = texts.slice(0, 40).map((t) => t + ' (one by one)');
    await time('one_by_one', async () => { for (const t of few) await book.embed([t]); });
    out.one_by_one /= few.length;
    window.__longest = 0;
    await time('embed', () => book.embedMany(texts, { keep: true }));
    const n = texts.length;
    await time('workbench_1000', () => book.workbench.load(texts));
    const scan = await book.askModel({ type: 'scan', threshold: 0.7, neighbours: 14 });
    await time('umap', () => wb.askHelper({ type: 'umap', n, neighbours: scan.neighbours }));
    const five = Array.from({ length: 5000 }, (_, i) => texts[i % n] + (i < n ? '' : ' ' + Math.floor(i / n)));
    await time('embed_5000', () => book.embedMany(five, { keep: true }));
    await time('pairs_5000', () => book.askModel({ type: 'scan', threshold: 0.7, neighbours: 14 }));
    await new Promise((r) => setTimeout(r, 500)); // long tasks are reported a moment after they end
    out.longest_1000 = window.__longest / 1000;
    window.__longest = 0;
    await time('workbench_5000', () => book.workbench.load(five));
    await new Promise((r) => setTimeout(r, 500));
    out.longest = window.__longest / 1000;
    out.heap = performance.memory ? performance.memory.usedJSHeapSize : 0;
    return out; }"""


def _rss(pids: list[int]) -> int:
    """Resident memory of the largest of these processes: the renderer holding the page and its workers."""
    sizes = [0]
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) * 1024)
    return max(sizes)


def workbench_speed(html: Path, sentences: list[str]) -> dict:
    """The workbench's budgets: 1,000 sentences embedded (and one by one), UMAP of 1,000, all pairs of 5,000,
    the whole panel on 5,000 texts, the longest main-thread task meanwhile, the tab's memory."""
    with serve(html) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(LONGEST_TASK)
        goto_drawn(page, f"{base}/book/your-texts.html")
        page.locator("[data-live=workbench] .live-load").click()
        page.wait_for_function(
            "() => /^Updated/.test(document.querySelector('.live-status').textContent)", timeout=180000
        )
        before = _rss(_renderers())
        out = page.evaluate(WORKBENCH_JS, sentences)
        out["rss"] = _rss(_renderers())
        out["rss_before"] = before
        out["worker_heaps"] = _long_session(page)
        page.close()
    return out


def _long_session(page, loads: int = 20, texts: int = 300) -> list[int]:
    """The model worker's JS heap (bytes, after a garbage collection) after each of ``loads`` embeddings of
    ``texts`` new texts: it grows until the worker's memo of recent texts is full, then stays."""
    from browser import worker_heap

    heaps = []
    for load in range(loads):
        page.evaluate(
            "async (t) => (await window.embeddingsBook.embed(t)).length", [f"session {load}.{i}" for i in range(texts)]
        )
        heaps.append(worker_heap(page, "book-model-worker"))
    return heaps
