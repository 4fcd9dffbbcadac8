"""Live widgets driven from Python, the static twins in the site, and the Binder/launch configuration."""

from __future__ import annotations

import re

import deps
import nbformat
import numpy as np
import pytest
import yaml

from browser import ROOT, toc_pages
from explainer.chapters import arithmetic, playground
from explainer.infra import bookdata
from explainer.teaching import live


@pytest.fixture(scope="module")
def vocab(helpers):
    return arithmetic.Embeddings(bookdata.load_words("vocabulary"))


def xs(fig):
    return np.asarray(fig.data[0].x, dtype=float)


def test_explorer_updates_on_new_words_and_settings(helpers):
    ex = live.explore("cat, dog, car, bus", method="pca", dims=2)
    assert len(ex.figures) == 2 and "updated" in ex.message.value
    before = xs(ex.figures[0])
    ex.controls["words"].value = "cat, dog, car, bus, zeppelin"
    assert list(ex.figures[0].data[0].text) == ["cat", "dog", "car", "bus", "zeppelin"]
    assert not np.array_equal(before, xs(ex.figures[0])) or len(xs(ex.figures[0])) != len(before)
    assert np.asarray(ex.figures[1].data[0].z).shape == (5, 5)
    ex.controls["dims"].value = 3
    assert ex.figures[0].data[0].type == "scatter3d"
    ex.controls["method"].value = "tsne"
    assert "t-SNE" in ex.figures[0].layout.title.text


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "at least 2"),
        (",,, ,", "at least 2"),
        ("solo", "at least 2"),
        (", ".join(f"word{i}" for i in range(500)), "500 entries"),
    ],
)
def test_explorer_bad_input_is_one_line_message(helpers, text, words):
    ex = live.explore("cat, dog, car")
    kept = ex.figures
    ex.controls["words"].value = text
    assert words in ex.message.value and "Traceback" not in ex.message.value
    assert "\n" not in re.sub(r"<[^>]+>", "", ex.message.value)
    assert ex.figures is kept  # the last good figure stays


def test_playground_weight_moves_the_neighbours(helpers, vocab):
    panel = playground.playground(vocab, "pizza", "pineapple", weight=0)
    at_zero = list(panel.figures[0].data[0].y)
    panel.controls["weight"].value = 10
    at_ten = list(panel.figures[0].data[0].y)
    assert at_zero != at_ten
    assert "hawaiian pizza" in at_zero[:3]
    panel.controls["subtract"].value = "cheese"
    assert "− cheese" in panel.figures[0].layout.title.text
    panel.controls["add"].value = "   "
    assert "Fill in both a and b" in panel.message.value


def test_live_shows_model_errors_as_a_message(helpers):
    import ipywidgets as widgets

    def draw(word):
        helpers.load_model("no-such-org/no-such-model")

    panel = live.Live({"word": widgets.Text(value="x")}, draw)
    assert "Could not load the model" in panel.message.value


def panel_cells():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path, [c for c in nb.cells if c.cell_type == "code" and re.search(r"\b\w+_panel\(", c.source)]


def test_every_chapter_has_one_live_panel_whose_code_is_hidden_on_the_site():
    for path, cells in panel_cells():
        assert len(cells) == 1, f"{path.name} has {len(cells)} live panels"
        assert "remove-input" in cells[0].metadata.get("tags", []), f"{path.name}: the panel's code shows in the site"


def test_a_panel_is_html_in_the_build_and_a_widget_in_jupyterlab(monkeypatch, tmp_path):
    from explainer.chapters import inside
    from explainer.teaching import panels

    monkeypatch.delenv("EMBEDDINGS_BOOK_PANELS", raising=False)
    panel = panels.explorer_panel("cat, dog, car")
    assert isinstance(panel.widget(), live.Live)
    tokens = inside.tokens_panel("a bat").widget()  # a one-box panel: the box drives the chapter's own figure
    tokens.controls["text"].value = "petrichor"
    assert "##rich" in list(tokens.figures[0].data[0].text)
    monkeypatch.setenv("EMBEDDINGS_BOOK_PANELS", str(tmp_path))
    page = panel.to_html()
    assert 'data-live="explorer"' in page and 'name="words"' in page and page.count("plotly-graph-div") == 2
    assert 'role="status"' in page and "Try it live." in page


def test_static_pages_show_a_panel_not_a_widget(site):
    for page in toc_pages():
        if not (ROOT / page.replace(".html", ".ipynb")).exists():
            continue  # the glossary is plain text
        html = (site / page).read_text()
        assert html.count("data-live=") == 1 and "Try it live." in html, page
        for dead in ("VBox(", "HBox(", "Text(value=", "FloatSlider(", "widget-view+json", "widget-state+json"):
            assert dead not in html, f"{page} contains {dead}"


def test_binder_and_launch_configuration():
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    lines = [line for line in binder.splitlines() if line and not line.startswith("#")]
    # the hashed lock and the CPU index that holds its torch file; nothing unhashed beside them (pip's
    # hash-checking mode, on because the lock has hashes, refuses any requirement without one)
    assert lines == ["--extra-index-url https://download.pytorch.org/whl/cpu", "-r ../requirements.lock"]
    for runtime in (ROOT / "runtime.txt", ROOT / "binder" / "runtime.txt"):
        assert runtime.read_text().strip() == "python-3.11"
    torch = re.search(
        r"^torch==(\S+) \\\n((?:    --hash=sha256:\w+.*\n)+)", (ROOT / "requirements.lock").read_text(), re.M
    )
    assert torch and torch.group(1) == "2.13.0+cpu"
    cp311 = deps.TORCH_CPU_WHEELS["2.13.0+cpu"]["torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"]
    assert cp311 in torch.group(2), "Binder's Python 3.11 needs the cp311 CPU wheel's hash in the lock"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"].startswith("https://github.com/")
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert "mybinder.org/v2/gh/" in (ROOT / "README.md").read_text()


def test_launch_button_in_the_built_pages(site):
    html = (site / "book" / "intro.html").read_text()
    assert "mybinder.org/v2/gh/embeddings-book/what-are-embeddings-really" in html


def test_widget_draws_inside_its_output_in_a_real_kernel():
    """In a kernel, the figures go into the widget's Output (not the cell), and follow new input."""
    import json

    from nbclient import NotebookClient

    probe = (
        "print(json.dumps([[sorted(o['data']) for o in ex.output.outputs], "
        "[o['data']['application/vnd.plotly.v1+json']['data'][0]['text'] for o in ex.output.outputs][:1]]))"
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import json\nfrom explainer.teaching.live import explore\nex = explore('cat, dog, car')\nex"
            ),
            nbformat.v4.new_code_cell(probe),
            nbformat.v4.new_code_cell("ex.controls['words'].value = 'cat, dog, car, bus'\n" + probe),
        ]
    )
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "book")}}
    ).execute()
    first_cell = nb.cells[0].outputs
    assert [o.output_type for o in first_cell] == ["display_data"]  # only the widget view, no loose figure
    assert "application/vnd.jupyter.widget-view+json" in first_cell[0]["data"]
    before, after = (json.loads(nb.cells[i].outputs[0]["text"]) for i in (1, 2))
    assert before[0] == [["application/vnd.plotly.v1+json", "text/html"]] * 2
    assert before[1] == [["cat", "dog", "car"]] and after[1] == [["cat", "dog", "car", "bus"]]


def test_the_images_panel_lists_sounds_on_the_site_and_plays_them_in_jupyterlab(monkeypatch, tmp_path):
    """The human-experience panel: spoken clips beside the images, files on the site, Audio in JupyterLab."""
    import json

    import numpy as np
    import plotly.graph_objects as go

    from explainer.chapters import senses
    from explainer.teaching import panels

    _, heldout = senses.spoken_digits()
    vectors = np.eye(4, 384, dtype=np.float32)
    sound_vectors = np.eye(len(heldout), 384, dtype=np.float32)

    def draw(sentence):
        return [go.Figure(go.Heatmap(z=[[0, 1]])), senses.listen(heldout, [7, 3], [0.5, 0.4], title=sentence)]

    args = (vectors, np.zeros((4, 8, 8)), np.arange(4), draw)
    monkeypatch.delenv("EMBEDDINGS_BOOK_PANELS", raising=False)
    widget = panels.images_panel(*args, sounds=senses.panel_sounds(heldout, sound_vectors)).widget()
    widget.controls["sentence"].value = "the number seven"
    shown = [live._bundle(item) for item in widget.figures]
    assert "application/vnd.plotly.v1+json" in shown[0]
    assert shown[1]["text/html"].count("data:audio/wav;base64,") == 2 and "the number seven" in shown[1]["text/html"]

    monkeypatch.setenv("EMBEDDINGS_BOOK_PANELS", str(tmp_path))
    page = panels.images_panel(*args, sounds=senses.panel_sounds(heldout, sound_vectors)).to_html()
    assert 'data-live="images"' in page and page.count("<audio controls") == 2
    assert f'src="{senses.SITE_URL}{heldout.file(7)}"' in page
    data = json.loads((tmp_path / "images.json").read_text())
    assert data["meta"]["sounds"]["folder"] == "sounds" and len(data["meta"]["sounds"]["clips"]) == len(heldout)
    assert data["arrays"]["sound_vectors"]["shape"] == [len(heldout), 384]
