"""The workbench in real Chromium: your own texts and files, embedded in the page; nothing leaves it."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from browser import chromium, goto_panel, serve, worker_heap
from explainer.chapters import workbench
from explainer.infra import projections

TICKETS = [
    "How do I reset my password?",
    "I forgot my password and can't log in",
    "The app crashes when I open the camera",
    "Every time I tap the camera the app closes",
    "Do you ship to Canada?",
    "Is international delivery available to Canada?",
    "Please cancel my subscription",
    "How do I reset my password?",
]
# Written for this test, in several scripts: their vectors must match Python's.
SCRIPTS = [
    "Где ближайшая аптека?",
    "東京の天気は晴れです",
    "Το τρένο αργεί σήμερα",
    "مرحبا، كيف حالك؟",
    "Où se trouve la gare ?",
    "naïve café ☕ crème brûlée",
    "서울의 겨울은 춥다",
    "A lighthouse keeper counts the ships at night.",
    "🎉🎉",
]
LOAD = "texts => window.embeddingsBook.workbench.load(texts)"
DONE = (
    "() => { const s = document.querySelector('[data-live=workbench] .live-status').textContent;"
    " return s && !/^(Working|Download|Reading)/.test(s); }"
)


class Bench:
    """The workbench page with its model loaded; console errors, requests and downloads recorded."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        goto_panel(self.page, f"{base}/book/your-texts.html")
        self.panel = self.page.locator("[data-live=workbench]")
        assert not [u for u in self.requests if "/_static/live/" in u and "manifest.js" not in u]
        self.panel.locator(".live-load").click()
        self.page.wait_for_function(
            "() => /^Updated/.test(document.querySelector('.live-status').textContent)", timeout=120000
        )

    def status(self) -> str:
        return self.panel.locator(".live-status").inner_text()

    def figures(self) -> str:
        return self.panel.evaluate(
            "el => JSON.stringify(Array.from(el.querySelectorAll('.plotly-graph-div')).map(d => d.data))"
        )

    def press(self, selector: str, timeout: int = 180000) -> str:
        """Click a control of the panel and wait for the run it starts; the status line."""
        self.page.evaluate("() => document.querySelector('[data-live=workbench] .live-status').textContent = ''")
        self.panel.locator(selector).click()
        self.page.wait_for_function(DONE, timeout=timeout)
        return self.status()

    def open(self, path) -> str:
        """Open a file with the panel's file input, as a reader would; the status line once it is done."""
        self.page.evaluate("() => document.querySelector('[data-live=workbench] .live-status').textContent = ''")
        self.panel.locator('input[type="file"]').set_input_files(str(path))
        self.page.wait_for_function(DONE, timeout=180000)
        return self.status()


@pytest.fixture(scope="module")
def bench(site):
    with serve(site) as base, chromium() as browser:
        yield Bench(browser, base)


def one_line(status: str) -> None:
    assert status and "\n" not in status and len(status) < 400, status
    assert not any(w in status for w in ("Traceback", "undefined", "Something went wrong", "[object")), status


def test_load_gives_the_same_vectors_and_pairs_as_python(bench, helpers):
    out = bench.page.evaluate(LOAD, TICKETS + SCRIPTS)
    n = len(TICKETS + SCRIPTS)
    assert out == {"n": n, "truncated": 0, "clusters": workbench.auto_clusters(n)}
    vectors = np.array(bench.page.evaluate("window.embeddingsBook.workbench.vectors().map(v => Array.from(v))"))
    python = helpers.embed(TICKETS + SCRIPTS)
    cosines = np.sum(vectors * python, axis=1)
    assert cosines.min() >= 0.98 and cosines.mean() >= 0.99, cosines
    for threshold in (0.7, 0.5):
        expected = workbench.duplicate_pairs(python, threshold)
        assert all(abs(s - threshold) > 0.01 for _, _, s in workbench.duplicate_pairs(python, threshold - 0.05))
        got = bench.page.evaluate("t => window.embeddingsBook.workbench.duplicates(t)", threshold)
        assert [(p["a"], p["b"]) for p in got] == [(a, b) for a, b, _ in expected]
        assert np.allclose([p["score"] for p in got], [s for _, _, s in expected], atol=0.01)
    assert "1 text repeats an earlier one" in bench.status()  # kept, and counted
    assert "no letters or digits" in bench.status()  # the emoji-only line
    assert bench.panel.locator(".wb-pairs tbody tr").count() >= 4 and bench.errors == []


def test_texts_over_256_word_pieces_are_cut_and_counted(bench, helpers):
    long = " ".join(f"word{i}" for i in range(200))  # about 600 word pieces, under 2,000 characters
    texts = [*TICKETS[:4], long]
    assert bench.page.evaluate(LOAD, texts)["truncated"] == 1
    assert "1 text over the model's 256 word pieces was cut" in bench.status()
    vectors = np.array(bench.page.evaluate("window.embeddingsBook.workbench.vectors().map(v => Array.from(v))"))
    assert float(vectors[-1] @ helpers.embed([long])[0]) >= 0.98  # cut where sentence-transformers cuts


def test_the_exports_hold_what_the_browser_computed(bench, helpers, tmp_path):
    texts = TICKETS[:7] + ['a "quoted", comma, text', "<b>not bold</b> & fine"]
    bench.page.evaluate(LOAD, texts)
    files = {}
    for name in ("vectors.npy", "vectors.csv", "map.csv", "pairs.csv"):
        with bench.page.expect_download() as download:
            bench.panel.locator(f'[data-export="{name}"]').click()
        files[name] = tmp_path / name
        download.value.save_as(files[name])
    vectors = np.load(files["vectors.npy"])
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 384)
    assert np.sum(vectors * helpers.embed(texts), axis=1).min() >= 0.98
    rows = list(csv.reader(io.StringIO(files["vectors.csv"].read_text(encoding="utf-8"))))
    assert rows[0] == ["text"] + [f"d{j}" for j in range(384)] and [r[0] for r in rows[1:]] == texts
    assert np.allclose(np.array([r[1:] for r in rows[1:]], dtype=float), vectors, atol=1e-5)
    points = list(csv.DictReader(io.StringIO(files["map.csv"].read_text(encoding="utf-8"))))
    assert [p["text"] for p in points] == texts and {p["cluster"] for p in points} <= {str(c) for c in range(1, 11)}
    bench.press('.live-toggle button[value="pca"]')  # the exact map, as Python computes it
    with bench.page.expect_download() as download:
        bench.panel.locator('[data-export="map.csv"]').click()
    download.value.save_as(tmp_path / "pca.csv")
    pca = np.array(
        [[float(p["x"]), float(p["y"])] for p in csv.DictReader((tmp_path / "pca.csv").open(encoding="utf-8"))]
    )
    assert np.allclose(pca, projections.pca(vectors.astype(np.float64), 2), atol=2e-4)
    bench.press('.live-toggle button[value="umap"]')
    pairs = list(csv.DictReader(io.StringIO(files["pairs.csv"].read_text(encoding="utf-8"))))
    shown = bench.page.evaluate("t => window.embeddingsBook.workbench.duplicates(t)", 0.7)
    assert [(int(p["a"]), int(p["b"])) for p in pairs] == [(p["a"], p["b"]) for p in shown]
    assert bench.errors == []


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def test_csv_exports_cannot_run_as_formulas_and_every_text_comes_back(bench, tmp_path):
    texts = [
        '=HYPERLINK("http://example.invalid","click me")',
        "+1 555 0100 is the number",
        "-- a note that starts with dashes",
        "@mention the team",
        "'=already quoted once",
        "a plain text, nothing to escape",
    ]
    bench.page.evaluate(LOAD, texts)
    cells: list[str] = []
    for name, column in (("vectors.csv", "text"), ("map.csv", "text"), ("pairs.csv", "text_a")):
        with bench.page.expect_download() as download:
            bench.panel.locator(f'[data-export="{name}"]').click()
        download.value.save_as(tmp_path / name)
        rows = list(csv.DictReader((tmp_path / name).open(encoding="utf-8", newline="")))
        cells += [cell for row in rows for cell in row.values()]
        if name != "pairs.csv":
            back = [re.sub(r"^'(?='*[=+\-@\t\r])", "", row[column]) for row in rows]  # the page's one rule
            assert back == texts
    dangerous = [c for c in cells if c.startswith(FORMULA)]
    numbers = [c for c in dangerous if re.fullmatch(r"-\d[\d.e-]*", c)]  # negative numbers are numbers
    assert dangerous == numbers and numbers  # vectors have negative entries: they stay numbers
    assert "remove that first apostrophe" in bench.panel.inner_text().lower()
    assert bench.errors == []


@pytest.mark.parametrize(
    ("texts", "found"),
    [
        (["yes", "no"] * 10, "2 clusters (the model gives these texts only 2 different vectors, so not 3)"),
        (["the same line"] * 3, "1 cluster (the model gives these texts only 1 different vector, so not 2)"),
        (["🎉", "🙂", "🚀", "🌧", "🍕"], "1 cluster (the model gives these texts only 1 different vector, so not 2)"),
    ],
)
def test_repeated_texts_make_fewer_clusters_and_say_why(bench, texts, found):
    box = bench.panel.locator('textarea[name="texts"]')
    box.fill("x")  # typing replaces a collection too large to show in the box
    box.fill("\n".join(texts))
    status = bench.press(".wb-run")
    one_line(status)
    assert found in status, status
    assert bench.errors == []


def test_a_long_session_keeps_the_models_memory_bounded(bench):
    """Loads of 300 new texts each: the worker remembers the most recent texts only, up to its limit."""
    memo = "async () => await window.embeddingsBook.askModel({type: 'memo'})"
    embed = "async texts => (await window.embeddingsBook.embed(texts)).length"
    limit = bench.page.evaluate(memo)["limit"]
    collection = [f"a kept collection's text {i}" for i in range(200)]
    bench.page.evaluate(
        "async texts => (await window.embeddingsBook.embedMany(texts, { keep: true })).vectors.length", collection
    )
    counts, heaps = [], []
    for load in range(limit // 300 + 6):  # past the bound by five loads
        assert bench.page.evaluate(embed, [f"note {load}.{i}" for i in range(300)]) == 300
        counts.append(bench.page.evaluate(memo)["size"])
        heaps.append(worker_heap(bench.page, "book-model-worker"))
    assert counts[-3:] == [limit] * 3 and counts == sorted(counts), counts  # it grows to the bound, then stays
    settled = heaps[limit // 300 + 1 :]  # the worker's heap once the memo is full: flat, not growing per load
    assert max(settled) - min(settled) < 0.1 * min(settled), [round(h / 1e6, 1) for h in heaps]
    # the memo has forgotten the workbench's collection, but loading it again runs the model on none of it
    ran = bench.page.evaluate(memo)["ran"]
    bench.page.evaluate(
        "async texts => (await window.embeddingsBook.embedMany(texts, { keep: true })).vectors.length", collection
    )
    assert bench.page.evaluate(memo)["ran"] == ran, "the kept collection was embedded again"
    # the worker now holds this collection, not the panel's: the panel's next run embeds its own again
    bench.panel.evaluate("p => { window.bookWorkbench.stateOf(p).collection = null; }")
    assert bench.errors == []


PANEL_BOXES = """panel => ({ page: document.documentElement.scrollWidth,
  figures: Array.from(panel.querySelectorAll('.plotly-graph-div')).map((d) => {
    const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect(); return [r.left, r.right]; };
    return { figure: box(d), title: box(d.querySelector('.gtitle')), legend: box(d.querySelector('.legend')) };
  }) })"""


def test_the_results_fit_a_420_px_screen(bench):
    """Titles and legends of the map and the scores stay inside their figures, and the page is no wider."""
    bench.page.set_viewport_size({"width": 420, "height": 900})
    try:
        bench.page.wait_for_timeout(800)  # the figures refit after a resize
        boxes = bench.panel.evaluate(PANEL_BOXES)
        assert boxes["page"] <= 420, boxes
        assert len(boxes["figures"]) == 2, boxes
        for fig in boxes["figures"]:
            left, right = fig["figure"]
            assert left >= -1 and right <= 421, fig
            for part in ("title", "legend"):
                if fig[part]:
                    assert left - 1 <= fig[part][0] and fig[part][1] <= right + 1, (part, fig)
    finally:
        bench.page.set_viewport_size({"width": 1280, "height": 900})
        bench.page.wait_for_timeout(300)


def write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def test_each_kind_of_file(bench, tmp_path):
    txt = write(tmp_path / "notes.txt", "\n".join(TICKETS[:6]) + "\n")
    assert "Read from notes.txt" in bench.open(txt) and "6 texts" in bench.status()
    table = 'id,body,score\n1,"Hello, world",3\n2,"a line\nthat wraps",4\n3,"She said ""hi""",5\n4,plain text here,6\n'
    status = bench.open(write(tmp_path / "table.csv", table))
    one_line(status)
    assert "column “body”" in status and "4 texts" in status
    box = bench.panel.locator('textarea[name="texts"]').input_value().splitlines()
    assert box == ["Hello, world", "a line that wraps", 'She said "hi"', "plain text here"]  # quotes, not commas
    tsv = "text\tlabel\nfirst sentence here\ta\nsecond sentence here\tb\nthird one\tc\n"
    assert "3 texts" in bench.open(write(tmp_path / "rows.tsv", tsv))
    jsonl = "\n".join(json.dumps({"id": i, "message": t}) for i, t in enumerate(TICKETS[:5])) + "\nnot json\n"
    status = bench.open(write(tmp_path / "log.jsonl", jsonl))
    one_line(status)
    assert "“message”" in status and "1 line was not a JSON object" in status and "5 texts" in status
    options = bench.panel.locator('select[name="column"] option').all_inner_texts()
    assert options == ["(choose)", "id", "message"]
    assert bench.errors == []


NOTES = ["Café crème brûlée", "Naïve façade, 東京", "A third note 🎉"]


@pytest.mark.parametrize(
    "content",
    [
        ("\ufeff" + "\r\n".join(NOTES)).encode("utf-16-le"),  # Windows Notepad's "Unicode"
        ("\ufeff" + "\n".join(NOTES)).encode("utf-16-be"),
        ("\ufeff" + "\n".join(NOTES)).encode("utf-8"),  # "UTF-8 with BOM"
        ("\n".join(NOTES) + "\nA line with a bell \x07 and an escape \x1b in it\n").encode(),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-8-bom", "stray-control-bytes"],
)
def test_files_are_read_as_their_editor_wrote_them(bench, tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    status = bench.open(path)
    one_line(status)
    assert "Read from notes.txt" in status, status
    box = bench.panel.locator('textarea[name="texts"]').input_value().splitlines()
    assert box[:3] == NOTES  # no BOM left in front, no mojibake
    assert bench.errors == []


def test_a_csv_without_a_header_keeps_its_first_row_and_odd_column_names_work(bench, tmp_path):
    headless = "How do I reset my password?\nThe app crashes when I open the camera\nDo you ship to Canada?\n"
    status = bench.open(write(tmp_path / "plain.csv", headless))
    one_line(status)
    assert "3 texts" in status and "kept as a text" in status, status
    assert bench.panel.locator('textarea[name="texts"]').input_value().splitlines()[0] == "How do I reset my password?"
    numbered = "1,first text of the file\n2,second text of the file\n3,third text of the file\n"
    assert "3 texts" in bench.open(write(tmp_path / "numbered.csv", numbered))
    survey = 'Timestamp,What did you like most?\n2024-05-01,"The search, it was fast"\n2024-05-02,The maps\n2024-05-03,Nothing\n'
    status = bench.open(write(tmp_path / "survey.csv", survey))
    assert "What did you like most?" in status and "3 texts" in status, status  # a question is still a header
    odd = "__proto__,constructor\nfirst text here,x\nsecond text here,y\nthird text here,z\n"
    status = bench.open(write(tmp_path / "odd.csv", odd))
    assert "“__proto__”" in status and "3 texts" in status, status
    assert bench.errors == []


BAD_FILES = {  # name: (content or a builder, what the status line says)
    "empty.txt": (b"", "is empty"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "not text"),
    "latin1.txt": ("Café crème\nNaïve façade\nGarçon, l'addition\n".encode("latin-1"), "Latin-1"),
    "spaces.txt": ("   \n\t\n😀😀\n🎉\nsome words here\n".encode(), "no letters or digits"),
    "blank.txt": (b"\n\n   \n\t\n", "only blank lines"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_get_one_line_and_nothing_half_shown(bench, tmp_path, name):
    content, says = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    before = bench.figures()
    status = bench.open(path)
    one_line(status)
    assert says in status, status
    failed = bench.panel.locator(".live-error").count() > 0
    assert (bench.figures() == before) == failed, "a failure must leave the figures as they were, a success redraws"
    assert bench.errors == []
    assert bench.page.evaluate("1 + 1") == 2  # the page answers


def test_a_csv_without_the_chosen_column(bench, tmp_path):
    bench.open(write(tmp_path / "first.csv", "id,body\n1,one text here\n2,another text\n3,a third text\n"))
    assert bench.panel.locator('select[name="column"]').input_value() == "body"
    status = bench.open(
        write(tmp_path / "books.csv", 'title,author\n"Dune, part one",Herbert\nEmma,Austen\nBeloved,Morrison\n')
    )
    one_line(status)
    assert "books.csv has no column “body”; using “title”" in status and "3 texts" in status
    assert bench.panel.locator('textarea[name="texts"]').input_value().splitlines()[0] == "Dune, part one"
    assert bench.errors == []


WEBGL_SCENE = "p => !!p.querySelector('.plotly-graph-div')._fullLayout._plots.xy._scene"
MAP_TRACES = """p => p.querySelector('.plotly-graph-div').data.map((t) =>
  ({ type: t.type, points: t.x.length, legend: t.showlegend !== false }))"""


def test_a_big_file_uses_its_first_5000_texts_and_a_huge_one_is_refused(bench, tmp_path):
    bench.press('.live-toggle button[value="pca"]')  # the exact map: quick for 5,000 points
    # WebGL was set up in the map while the model loaded (a blank standby point), so that drawing thousands of
    # points does not freeze the page (make bench: the longest task)
    assert bench.panel.evaluate(WEBGL_SCENE), "no WebGL scene in the map before the first big collection"
    lines = [f"{TICKETS[i % 8]} (copy {i % 40})" for i in range(100_000)]
    status = bench.open(write(tmp_path / "lines.txt", "\n".join(lines)))
    one_line(status)
    assert "100,000 texts; the first 5,000 are used" in status and "5,000 texts" in status
    traces = bench.panel.evaluate(MAP_TRACES)
    assert {t["type"] for t in traces} == {"scattergl"}, traces
    assert [t["points"] for t in traces if not t["legend"]] == [1], "one blank standby point, not in the legend"
    assert sum(t["points"] for t in traces if t["legend"]) == 5000
    fifty = tmp_path / "fifty.txt"
    with fifty.open("w", encoding="utf-8") as out:
        while out.tell() < 50e6:
            out.write("\n".join(lines[:20000]) + "\n")
    assert "the first 5,000 are used" in bench.open(fifty)
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as out:
        out.truncate(101_000_000)
    status = bench.open(huge)
    one_line(status)
    assert "up to 100 MB" in status and bench.panel.locator(".live-error").count() == 1
    bench.press('.live-toggle button[value="umap"]')
    assert bench.errors == []


def test_bad_text_in_the_box_gets_one_line(bench):
    for text, says in (("", "Paste some texts"), ("  \n \n", "Paste some texts"), ("only one", "at least 3")):
        bench.page.evaluate("() => document.querySelector('[data-live=workbench] .live-status').textContent = ''")
        box = bench.panel.locator('textarea[name="texts"]')
        box.fill("x")  # typing replaces a collection too large to show in the box
        box.fill(text)
        one_line(bench.press(".wb-run"))
        assert says in bench.status()
    assert bench.errors == []


def test_cancel_in_the_middle_then_start_again(bench):
    texts = [f"Sentence number {i} about {w} in the {p}" for i, (w, p) in enumerate(zip(range(300), range(300)))]
    texts = [f"{t}: {TICKETS[i % 8]}" for i, t in enumerate(texts)]
    before = bench.figures()
    bench.page.evaluate(f"() => {{ window.__job = ({LOAD})({json.dumps(texts)}).then(r => 'done', e => e.message); }}")
    bench.page.wait_for_function(
        "() => { const box = document.querySelector('[data-live=workbench] .wb-progress');"
        " return !box.hidden && box.querySelector('progress').value > 0"
        " && box.querySelector('.wb-progress-text').textContent.startsWith('Embedding:'); }",
        timeout=120000,
        polling=20,
    )
    assert bench.panel.locator(".wb-progress-text").inner_text().startswith("Embedding")
    bench.panel.locator(".wb-cancel").click()
    outcome = bench.page.evaluate("window.__job")
    assert outcome.startswith("Cancelled") and bench.status().startswith("Cancelled"), outcome
    assert bench.figures() == before  # nothing half-shown
    assert bench.page.evaluate(LOAD, texts)["n"] == 300  # and it starts again
    assert bench.errors == []


def test_search_and_a_clicked_point_list_true_neighbours(bench):
    bench.page.evaluate(LOAD, TICKETS)
    bench.panel.locator('input[name="query"]').fill("money taken from my card")
    bench.panel.locator('input[name="query"]').press("Enter")
    bench.page.wait_for_function("() => document.querySelectorAll('[data-live=workbench] .wb-list li').length > 0")
    assert "Nearest to “money taken from my card”" in bench.panel.locator(".wb-found-title").inner_text()
    bench.panel.evaluate(
        "el => { const d = el.querySelector('.plotly-graph-div'); d.emit('plotly_click', {points: [{customdata: 4}]}); }"
    )
    bench.page.wait_for_function("() => /text 5/.test(document.querySelector('.wb-found-title').textContent)")
    first = bench.panel.locator(".wb-list li").first.inner_text()
    assert first.endswith("Is international delivery available to Canada?"), first
    assert bench.errors == []


def test_nothing_leaves_the_page(bench):
    """After the model's files: no request at all, and the texts are in no storage and not in the URL."""
    marker = "zebra-marker-7f3a"
    seen = len(bench.requests)
    bench.page.evaluate(LOAD, [f"{marker} one", f"{marker} two", f"{marker} three", "something else"])
    with bench.page.expect_download():
        bench.panel.locator('[data-export="vectors.csv"]').click()
    bench.panel.locator('input[name="query"]').fill(marker)
    bench.page.evaluate("() => document.querySelector('[data-live=workbench] .live-status').textContent = ''")
    bench.panel.locator('input[name="query"]').press("Enter")
    bench.page.wait_for_function(DONE)
    assert "Nearest to “zebra-marker-7f3a”" in bench.panel.locator(".wb-found-title").inner_text()
    assert [u for u in bench.requests[seen:] if not u.startswith("blob:")] == []
    stored = bench.page.evaluate(
        """async () => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie,
            location.href, indexedDB.databases ? await indexedDB.databases() : []])"""
    )
    assert marker not in stored
    names = bench.page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")
    assert names == [], names
