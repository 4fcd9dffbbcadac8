"""The atlas page in real Chromium: search and the lens agree with Python, labels follow the zoom, bad input
gets one line, the lens needs no model, and a page opened from disk still draws its map."""

from __future__ import annotations

import pytest

from browser import goto_drawn, layout_report
from test_live_site import TEXTS

# The texts the live panels' parity test uses (several scripts), minus the emoji-only one, plus two more:
# "zyzzyva" is not in the collection, and a question finds paragraphs.
QUERIES = [t for t in TEXTS if any(c.isalnum() for c in t)] + ["zyzzyva", "how do computers understand words?"]
MAP = "[data-live=atlas] .plotly-graph-div"
STATUS = "[data-live=atlas] .live-status"


def open_atlas(browser, base, url=None):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.errors, page.requests = [], []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    goto_drawn(page, url or f"{base}/book/atlas.html")
    page.wait_for_function(f"() => document.querySelector('{MAP}').__atlas", timeout=30000)
    return page


def status_after(page, action) -> str:
    page.evaluate(f"() => document.querySelector('{STATUS}').textContent = ''")
    action()
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('{STATUS}').textContent; return s && !/^(Working|Download)/.test(s); }}",
        timeout=90000,
    )
    return page.locator(STATUS).inner_text()


@pytest.fixture(scope="module")
def loaded(browser_at):
    """The atlas page with the model and the vectors loaded by the button, as a reader would."""
    browser, base = browser_at
    page = open_atlas(browser, base)
    assert not [u for u in page.requests if "/_static/live/" in u and "manifest.js" not in u]
    assert "MB, once" in page.locator("[data-live=atlas] .live-load").inner_text()
    status = status_after(page, lambda: page.locator("[data-live=atlas] .live-load").click())
    assert status.startswith("Updated") and "violin" in status, status
    yield page
    page.close()


def test_search_in_the_browser_equals_python(loaded, the_atlas, helpers):
    for query in QUERIES:
        browser = loaded.evaluate("q => window.embeddingsBook.atlas.search(q, 10)", query)
        python = the_atlas.search(query, 10)  # helpers.embed, then exact cosine against every item
        for b, (text, score, _) in zip(browser, python, strict=True):
            assert abs(b["score"] - score) <= 0.02, (query, b, text, score)
        tenth = python[-1][1]
        exact = the_atlas.vectors @ helpers.embed(query)[0]
        for b in browser:  # the same ten, up to ties within 0.01
            assert b["kind"] == the_atlas.kinds[the_atlas.index(b["text"])]
            assert exact[the_atlas.index(b["text"])] >= tenth - 0.01, (query, b, tenth)
    assert loaded.errors == []


def test_on_map_counts_equal_python_from_the_shipped_coordinates(loaded, the_atlas):
    n = the_atlas.words
    xs = loaded.evaluate(f"() => Array.from(document.querySelector('{MAP}')._fullData[0].x)")
    ys = loaded.evaluate(f"() => Array.from(document.querySelector('{MAP}')._fullData[0].y)")
    assert xs == the_atlas.xy[:n, 0].tolist() and ys == the_atlas.xy[:n, 1].tolist()
    for text in ["cat", "violin", "mercury", "seven", "bank", the_atlas.paragraphs[3].text]:
        got = loaded.evaluate("t => window.embeddingsBook.atlas.neighbours(t, 10)", text)
        i = the_atlas.index(text)
        assert got["onMap"] == the_atlas.kept(i), text
        assert [x["text"] for x in got["neighbours"]] == [the_atlas.texts[j] for j in the_atlas.true[i]]
    bad = loaded.evaluate(
        "async () => { try { await window.embeddingsBook.atlas.neighbours('zyzzyva', 10); } catch (e) { return e.message; } }"
    )
    assert "not on the map" in bad


def test_a_search_draws_the_lens_and_lists_words_and_paragraphs(loaded, the_atlas):
    status = status_after(
        loaded, lambda: (loaded.fill("input[name=query]", "petrichor"), loaded.press("input[name=query]", "Enter"))
    )
    assert "not in the collection" in status and "approximation" in status and "\n" not in status, status
    lens = loaded.evaluate(f"() => document.querySelector('{MAP}')._fullData[5].x.length")
    assert lens == 11  # the query and its 10 nearest items
    assert loaded.locator("[data-live=atlas] .atlas-nearest li").count() == 10
    links = loaded.locator("[data-live=atlas] .atlas-book li a")
    assert links.count() == 3 and all(".html#" in links.nth(i).get_attribute("href") for i in range(3))
    status = status_after(loaded, lambda: loaded.locator("[data-live=atlas] [data-try]").first.click())
    mercury = the_atlas.kept(the_atlas.index("mercury"))  # the count the page glues, whatever the build's map
    assert "mercury" in status and f"{mercury} of its 10" in status, status
    status_after(loaded, lambda: loaded.locator("[data-live=atlas] [data-try]").nth(2).click())  # the question
    first = loaded.locator("[data-live=atlas] .atlas-book li a").first.get_attribute("href")
    assert first.startswith("atlas.html#"), first  # "this page's own first": the list keeps them
    assert loaded.errors == []


@pytest.mark.parametrize("text", ["", "x" * 10_000, "😀🎉", "  ,  "])
def test_bad_input_gets_one_line(loaded, text):
    status = status_after(
        loaded, lambda: (loaded.fill("input[name=query]", text), loaded.press("input[name=query]", "Enter"))
    )
    assert status and "\n" not in status and len(status) < 300 and "Something went wrong" not in status, status
    assert loaded.errors == []


def test_a_click_draws_the_lens_with_no_model_and_labels_follow_the_zoom(browser_at):
    browser, base = browser_at
    page = open_atlas(browser, base)
    where = page.evaluate(
        f"""() => {{ const d = document.querySelector('{MAP}'); const i = d._fullData[0].text.indexOf('cat');
        return [d._fullData[0].x[i], d._fullData[0].y[i]]; }}"""
    )
    page.evaluate(
        f"([x, y]) => Plotly.relayout(document.querySelector('{MAP}'), "
        "{'xaxis.range': [x - 400, x + 400], 'yaxis.range': [y - 300, y + 300]})",
        where,
    )
    page.wait_for_function(f"() => document.querySelector('{MAP}')._fullData[2].text.includes('cat')", timeout=20000)
    page.wait_for_timeout(500)
    report = layout_report(page)
    atlas_figure = next(f for f in report["figures"] if f["id"] == page.locator(MAP).get_attribute("id"))
    assert atlas_figure["labels"] > 10 and atlas_figure["overlaps"] <= 3
    page.locator(MAP).scroll_into_view_if_needed()
    pixel = page.evaluate(
        f"""([x, y]) => {{ const d = document.querySelector('{MAP}'); const box = d.querySelector('.nsewdrag').getBoundingClientRect();
        return [box.left + d._fullLayout.xaxis.l2p(x), box.top + d._fullLayout.yaxis.l2p(y)]; }}""",
        where,
    )
    page.mouse.move(*pixel)
    page.wait_for_selector(f"{MAP} .hoverlayer .hovertext", timeout=20000)  # plotly knows the point under the mouse
    status = status_after(page, lambda: page.mouse.click(*pixel))
    assert "of its 10 true neighbours are also among its 10 nearest on the map" in status, status
    assert not [u for u in page.requests if "/models/" in u or "atlas.bin" in u], "a click needs no model"
    assert page.errors == []
    page.close()


def test_opened_from_disk_the_map_draws_and_search_says_make_serve(browser_at, site):
    browser, _ = browser_at
    page = open_atlas(browser, None, (site / "book" / "atlas.html").resolve().as_uri())
    assert page.evaluate(f"() => document.querySelector('{MAP}')._fullData[0].x.length") == 20_000
    assert "make serve" in page.locator(STATUS).inner_text()
    status = status_after(page, lambda: page.locator("[data-live=atlas] .live-load").click())
    assert "make serve" in status
    assert page.errors == []
    page.close()


def test_without_webgl_the_page_says_so(browser_at):
    browser, base = browser_at
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(
        "const real = HTMLCanvasElement.prototype.getContext;"
        "HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {"
        "  return /webgl/.test(kind) ? null : real.call(this, kind, ...rest); };"
    )
    page.goto(f"{base}/book/atlas.html", wait_until="load")
    page.wait_for_timeout(1500)
    assert page.locator("[data-live=atlas] .atlas-nowebgl").is_visible()
    page.close()
