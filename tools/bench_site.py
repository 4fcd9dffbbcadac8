"""`make bench`, on a built site: the first screen, the model in three browsers, the atlas and the workbench.

Sections (6), (7), (9), (10) and (11) of tools/bench.py, which imports them; `python tools/bench.py --site
_build/html` runs them alone.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench import BOOK, BUDGET, CHAPTERS, verdict

FIRST_SCREEN_JS = """() => {
  const figs = Array.from(document.querySelectorAll('.plotly-graph-div'));
  const visible = figs.filter(d => { const r = d.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
  if (document.readyState === 'loading' || !visible.every(d => d._fullLayout)) return false;
  return {ms: performance.now(), visible: visible.length};
}"""


def first_screen(html: Path) -> list[str]:
    """Chromium over loopback: navigation to the first screen's figures drawn, at the top of each page and
    linked straight to its busiest figure; and, for comparison, every figure of the page drawn at once."""
    from browser import chromium, goto_drawn, serve

    def until(page, js: str):
        return page.wait_for_function(js, polling="raf", timeout=30000).json_value()

    all_drawn = (
        "() => document.readyState !== 'loading' && "
        "Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d._fullLayout) && performance.now()"
    )
    busiest = (
        "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
        ".sort((a, b) => JSON.stringify(b.data).length - JSON.stringify(a.data).length)[0].id"
    )
    lines = []
    with serve(html) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for chapter in CHAPTERS:
            url = f"{base}/book/{chapter}.html"
            goto_drawn(page, url)  # warm the browser's cache, as for a reader's second page
            target = page.evaluate(busiest)
            page.goto(url, wait_until="commit")
            top = until(page, FIRST_SCREEN_JS)
            page.goto(f"{url}?linked#{target}", wait_until="commit")
            linked = until(page, FIRST_SCREEN_JS)
            page.goto(f"{url}?eager", wait_until="commit")
            everything = until(page, all_drawn)
            ok = max(top["ms"], linked["ms"]) <= BUDGET["first_screen"] * 1000
            lines.append(
                f"{chapter:17} first screen at the top ({top['visible']} figures) {top['ms'] / 1000:.2f} s, "
                f"linked to its busiest figure ({linked['visible']}) {linked['ms'] / 1000:.2f} s; "
                f"every figure at once {everything / 1000:.2f} s  [budget <= {BUDGET['first_screen']} s: {verdict(ok)}]"
            )
    return lines


def browser_model_speed(html: Path, runs: int = 1) -> list[str]:
    """Press the intro's button: bytes fetched, time to a ready model, each further text, a new word in the
    explorer; at full speed and with Chromium's CPU throttling (the main thread only: see bench_browser.py)."""
    from bench_browser import median_of, model_speed

    lines = []
    for slow, name in (("", "full speed"), ("cdp", "CPU 4x (CDP: main thread)")):
        m = median_of([model_speed(html, slow) for _ in range(runs)])
        limit = BUDGET["model_ready"] * (2 if slow else 1)
        per_text = BUDGET["per_text"] * (2.4 if slow else 1)
        if not slow:
            lines.append(
                f"button: {m['stated']!r}; fetched on demand {m['fetched'] / 1e6:.1f} MB  "
                f"[budget <= {BUDGET['on_demand'] / 1e6:.0f} MB: {verdict(m['fetched'] <= BUDGET['on_demand'])}]"
            )
        lines.append(
            f"{name:27} model ready {m['ready']:.2f} s after the press [budget <= {limit:.0f} s: "
            f"{verdict(m['ready'] <= limit)}]; a new text right after {m['per_text'] * 1000:.0f} ms "
            f"[budget <= {per_text * 1000:.0f} ms: {verdict(m['per_text'] <= per_text)}], once warmed up "
            f"{m['warmed'] * 1000:.0f} ms; a new word in the explorer to its redrawn figures {m['new_word'] * 1000:.0f} ms"
            f" (medians of 21 texts, 9 words{f', {runs} runs' if runs > 1 else ''})"
        )
        if not slow:
            lines.append(
                f"the next page, from the browser's cache: ready in {m['again']:.2f} s, {m['refetched'] / 1e6:.2f} MB fetched"
            )
    return lines


ENGINE_JS = """async () => {
  const wait = async (ok) => { while (!ok()) await new Promise((r) => setTimeout(r, 5)); };
  const ms = (t) => Math.round(performance.now() - t);
  const t0 = performance.now();
  document.querySelector("[data-live] .live-load").click();
  await wait(() => window.embeddingsBook.readySeconds);
  const ready = ms(t0);
  const words = [];
  for (let i = 0; i < 22; i++) {
    const t = performance.now();
    await window.embeddingsBook.embed([`a further sentence number ${i} about the sea`]);
    words.push(ms(t));
  }
  await window.embeddingsBook.warmedUp;
  const warm = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    await window.embeddingsBook.embed([`another sentence, number ${i}`]);
    warm.push(ms(t));
  }
  const median = (a) => a.sort((x, y) => x - y)[10];
  const parts = window.embeddingsBook.readyParts || {}; // measured in the model's worker (book-model-worker.js)
  return { ready, library: Math.round(parts.library), session: Math.round(parts.session), warmUp: Math.round(parts.warmUp),
           first: words[0], further: median(words.slice(1)), warmed: median(warm) };
}"""


def engines_speed(html: Path) -> list[str]:
    """Each engine, fresh: the intro's button pressed; ready and its parts, then words; then parity."""
    import numpy as np

    from browser import chromium, goto_drawn, serve
    from engines import engine, serve_recorded
    from test_engines import DRAWN, EMBED
    from test_live_site import TEXTS

    sys.path.insert(0, str(BOOK))
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")  # as under make: never reach for a hub
    import helpers

    python = helpers.embed(TEXTS)
    results = {}
    with serve(html) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        goto_drawn(page, f"{base}/book/intro.html")
        results["chromium"] = page.evaluate(ENGINE_JS), page.evaluate(EMBED, TEXTS)
    for name in ("firefox", "webkit"):
        with serve_recorded(html) as (base, _), engine(name, base) as driver:
            driver.open(f"{base}/book/intro.html")
            driver.call(DRAWN)
            results[name] = driver.call(ENGINE_JS), driver.call(EMBED, TEXTS)
    lines = []
    for name, (t, rows) in results.items():
        cosines = np.sum(np.array(rows, dtype=np.float32) * python, axis=1)
        lines.append(
            f"{name:8} ready {t['ready'] / 1000:.2f} s (in its worker: transformers.js {t['library'] / 1000:.2f} s, "
            f"files, WebAssembly and session {t['session'] / 1000:.2f} s, warm-up {t['warmUp'] / 1000:.2f} s)  "
            f"[budget <= {BUDGET['model_ready']:.0f} s: {verdict(t['ready'] <= BUDGET['model_ready'] * 1000)}]; "
            f"first word {t['first']} ms, further words {t['further']} ms, once warm {t['warmed']} ms  "
            f"[budget <= {BUDGET['per_text'] * 1000:.0f} ms: {verdict(t['warmed'] <= BUDGET['per_text'] * 1000)}]; "
            f"parity min {cosines.min():.4f} mean {cosines.mean():.4f}"
        )
    return lines


ATLAS_SEARCH_JS = """async (queries) => {
  const panel = document.querySelector('[data-live=atlas]');
  const input = panel.querySelector('input[name=query]');
  const list = panel.querySelector('.atlas-nearest');
  const status = panel.querySelector('.live-status');
  const times = [];
  for (const q of queries) {
    status.textContent = '';
    const listed = new Promise((resolve) => new MutationObserver((_, o) => { o.disconnect(); resolve(performance.now()); })
      .observe(list, { childList: true }));
    const drawn = new Promise((resolve) => new MutationObserver((_, o) => {
      if (/^Updated/.test(status.textContent)) { o.disconnect(); resolve(performance.now()); } })
      .observe(status, { childList: true, characterData: true, subtree: true }));
    input.value = q;
    const t = performance.now();
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    const [l, d] = await Promise.all([listed, drawn]);
    times.push([l - t, d - t]);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a reader reads the answer before the next question
  }
  times.sort((a, b) => a[0] - b[0]);
  return times[Math.floor(times.length / 2)];
}"""


def atlas_speed(html: Path) -> list[str]:
    """The atlas: its map's first draw, and search from Enter to the list, at 1x and with the CPU throttled 4x."""
    from browser import chromium, serve

    page_bytes = (html / "book" / "atlas.html").stat().st_size
    manifest = (html / "_static" / "live" / "manifest.js").read_text()
    panels = json.loads(manifest[manifest.index("{") : manifest.rindex("}") + 1])["bytes"]["panels"]
    vectors = panels["atlas"] + panels["atlas-neighbours"]
    lines = [
        f"before the reader asks: atlas.html {page_bytes / 1e6:.2f} MB, which holds the whole map  "
        f"[budget page <= 1.5 MB, map data <= {BUDGET['atlas_map_data'] / 1e6:.1f} MB: "
        f"{verdict(page_bytes <= min(BUDGET['page'], BUDGET['atlas_map_data']))}]",
        f"on demand: vectors (int8) {panels['atlas'] / 1e6:.1f} MB + true neighbours {panels['atlas-neighbours'] / 1e6:.1f} MB, "
        f"gzipped  [budget <= {BUDGET['atlas_vectors'] / 1e6:.0f} MB: {verdict(vectors <= BUDGET['atlas_vectors'])}]",
    ]
    queries = [
        "lighthouse keeper",
        "a quiet walk by the sea",
        "violin",
        "how do computers read?",
        "Привет",
        "petrichor",
        "bank",
    ]
    drawn_js = "() => { const d = document.querySelector('[data-live=atlas] .plotly-graph-div'); return d._fullLayout && d.__atlas && performance.now(); }"
    with serve(html) as base, chromium() as browser:
        for rate in (1, 4):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/book/atlas.html")  # once, so that scripts come from the browser's cache
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            page.goto(f"{base}/book/atlas.html", wait_until="load")
            pending = page.evaluate("() => !document.querySelector('[data-live=atlas] .plotly-graph-div')._fullLayout")
            if pending:
                start = page.evaluate(
                    "() => { document.querySelector('[data-live=atlas]').scrollIntoView(); return performance.now(); }"
                )
            else:
                start = 0.0  # drawn with the first screen: from navigation
            drawn = page.wait_for_function(drawn_js, polling="raf", timeout=60000).json_value()
            draw = (drawn - start) / 1000
            page.locator("[data-live=atlas] .live-load").click()
            page.wait_for_function(
                "() => /^Updated/.test(document.querySelector('[data-live=atlas] .live-status').textContent)",
                timeout=180000,
            )
            page.evaluate("() => window.embeddingsBook.warmedUp")
            listed, updated = page.evaluate(ATLAS_SEARCH_JS, queries)
            fetched = page.evaluate("window.embeddingsBook.bytesReceived")
            budget_draw = BUDGET["atlas_draw"] if rate == 1 else BUDGET["atlas_draw_slow"]
            budget_search = BUDGET["atlas_search"] if rate == 1 else BUDGET["atlas_search_slow"]
            how = "after it scrolled into view" if pending else "after navigation (it is near the first screen)"
            lines.append(
                f"CPU {rate}x: map drawn {draw:.2f} s {how}  [budget <= {budget_draw} s: {verdict(draw <= budget_draw)}]; "
                f"search, Enter to the list {listed:.0f} ms  [budget <= {budget_search * 1000:.0f} ms: "
                f"{verdict(listed <= budget_search * 1000)}], to the map redrawn with its lens {updated:.0f} ms "
                f"(median of {len(queries)}); fetched {fetched / 1e6:.1f} MB with the model"
            )
            page.close()
    return lines


def sentences(count: int = 1000) -> list[str]:
    """Short sentences made of the book's vocabulary, each one new to the model's memo."""
    import random

    sys.path.insert(0, str(BOOK))
    from explainer.infra import bookdata

    rng = random.Random(0)
    words = bookdata.load_words("vocabulary")
    return [
        f"The {a} and the {b} met a {c} near the {d}, number {i}."
        for i, (a, b, c, d) in enumerate(rng.sample(words, 4) for _ in range(count))
    ]


def workbench_budgets(html: Path) -> list[str]:
    from bench_browser import workbench_speed

    m = workbench_speed(html, sentences())

    def ok(value: float, key: str) -> str:
        return f"[budget <= {BUDGET[key]:g} s: {verdict(value <= BUDGET[key])}]"

    return [
        f"1,000 sentences embedded in the worker {m['embed']:.1f} s = {m['embed']:.1f} ms per text (batches of 16) "
        f"{ok(m['embed'], 'workbench_1000')}; one by one {m['one_by_one'] * 1000:.0f} ms per text",
        f"UMAP of 1,000 points (umap-js, exact neighbours given) {m['umap']:.1f} s {ok(m['umap'], 'umap_1000')}",
        f"all pairs of 5,000 texts (12.5 million cosines, histogram, neighbours, pairs >= 0.7) {m['pairs_5000']:.2f} s "
        f"{ok(m['pairs_5000'], 'pairs_5000')}; the whole panel on 5,000 texts (clusters, pairs, UMAP, drawing) "
        f"{m['workbench_5000']:.1f} s",
        f"the whole panel on the 1,000 (clusters, pairs, UMAP, drawing) {m['workbench_1000']:.1f} s; longest "
        f"main-thread task while working on them {m['longest_1000'] * 1000:.0f} ms {ok(m['longest_1000'], 'longest_task')}, "
        f"on the 5,000 {m['longest'] * 1000:.0f} ms {ok(m['longest'], 'longest_task')}",
        f"memory of the tab (renderer process, workers included) with 5,000 texts: {m['rss'] / 1e6:.0f} MB "
        f"({m['rss_before'] / 1e6:.0f} MB with the model loaded, before any text); main-thread JS heap "
        f"{m['heap'] / 1e6:.0f} MB",
        "the model worker's JS heap over a long session, 20 loads of 300 new texts (after a garbage collection): "
        + ", ".join(f"{h / 1e6:.1f}" for h in m["worker_heaps"])
        + " MB (it stops growing once its memo of recent texts is full)",
    ]


def engines_section(html: Path) -> None:
    print("(9) the model in three engines (intro's button pressed in a fresh browser; medians of 21 words):")
    for line in engines_speed(html):
        print(f"    {line}")


def atlas_section(html: Path) -> None:
    print(
        "(10) the atlas in Chromium over loopback (desktop 1280 x 900; software WebGL, SwiftShader, on this machine):"
    )
    for line in atlas_speed(html):
        print(f"    {line}")


def workbench_section(html: Path) -> None:
    print("(11) the workbench: your own texts in the browser (Chromium over loopback, two workers):")
    for line in workbench_budgets(html):
        print(f"    {line}")


def browser_sections(html: Path) -> None:
    print("(6) figures in Chromium over loopback (desktop 1280 x 900, the page's scripts already cached):")
    for line in first_screen(html):
        print(f"    {line}")

    print("(7) the model in the browser (Chromium over loopback, one thread of WebAssembly, in a Web Worker):")
    for line in browser_model_speed(html):
        print(f"    {line}")
