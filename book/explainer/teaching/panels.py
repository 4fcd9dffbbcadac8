"""Live panels: the reader's own words on the static site, and the same panels as widgets in JupyterLab.

Each chapter ends its "Try it live" paragraph with one call, e.g. ``explorer_panel()``. What it shows
depends on where the notebook runs:

* building the site (the build sets ``EMBEDDINGS_BOOK_PANELS``): HTML for a panel with ``data-live=``
  one of ``PANEL_KINDS`` ("explorer", "playground", ...), holding its inputs, a button that states
  the download size, a status line and figures drawn from precomputed vectors. ``_static/book-live-model.js``
  runs the model in the browser (transformers.js) when the reader asks. The data a panel needs is written
  next to the build by ``publish`` (float16 vectors, uint8 pixels) and fetched with the model.
* JupyterLab or Binder: the ipywidgets of ``live.py``, which run the Python model.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.infra import cache
from explainer.infra.rendering import BookRenderer
from explainer.teaching.live import Live, explore, parse_words, with_tries
from helpers import axes_layout, plot_heatmap, plot_projection, scatter_traces

PANEL_KINDS = ("explorer", "playground", "search", "images", "tokens", "atlas", "workbench")
Try = tuple[str, dict[str, str], str]  # (button label, {input name: value}, what to look for)


def building_site() -> Path | None:
    """The folder the build collects panel data in, or None when running in JupyterLab."""
    folder = os.environ.get("EMBEDDINGS_BOOK_PANELS")
    return Path(folder) if folder else None


def publish(name: str, meta: dict, arrays: dict[str, np.ndarray], files: dict[str, bytes] | None = None) -> None:
    """Write a panel's data for the site: ``<name>.json`` (meta + array layout) and ``<name>.bin``.

    Float arrays are stored as little-endian float16, enough for cosine similarity to three decimals at
    a quarter of the size; int8 and uint16 arrays as they are; other integer arrays as uint8. Each array
    starts at a multiple of 4 bytes, so the browser can view it in place. ``files`` (name: bytes, e.g.
    audio clips) go to the folder ``<name>/``, listed in the JSON, which is written last. A no-op outside
    a site build.
    """
    folder = building_site()
    if folder is None:
        return
    for file, data in (files or {}).items():
        if "/" in file or file.startswith("."):
            raise ValueError(f"panel {name!r}: {file!r} is not a plain file name")
        cache.write_bytes(folder / name / file, data)
    layout, chunks, offset = {}, [], 0
    for key, array in arrays.items():
        stored, dtype = _stored(np.asarray(array))
        if dtype == "float16" and not np.all(np.isfinite(stored.astype(np.float32))):
            raise ValueError(f"panel {name!r}: array {key!r} does not fit float16")
        layout[key] = {"dtype": dtype, "shape": list(stored.shape), "offset": offset}
        data = stored.tobytes()
        chunks.append(data + b"\0" * (-len(data) % 4))
        offset += len(chunks[-1])
    cache.write_bytes(folder / f"{name}.bin", b"".join(chunks))
    listing = {"files": sorted(files)} if files else {}
    cache.write_bytes(folder / f"{name}.json", json.dumps({"meta": meta, "arrays": layout, **listing}).encode())


def _stored(array: np.ndarray) -> tuple[np.ndarray, str]:
    if array.dtype == np.int8:
        return array, "int8"
    if array.dtype == np.uint16:
        return array.astype("<u2"), "uint16"
    if array.dtype.kind == "f":
        return array.astype("<f2"), "float16"
    return array.astype(np.uint8), "uint8"


def _figure_html(fig: Any) -> str:
    """A figure's static HTML; anything else the panel shows (a list of clips) renders itself."""
    if not isinstance(fig, go.Figure):
        return fig._repr_html_()
    return BookRenderer().to_mimebundle(fig.to_dict())["text/html"]


def try_list(tries: Sequence[Try]) -> str:
    """ "Try this" prompts: each a button that fills the panel's inputs and applies them, and what to look for."""
    items = "".join(
        f'<li><button type="button" class="live-try-button" data-try="{html.escape(json.dumps(values), quote=True)}">'
        f"{html.escape(label)}</button> <span>{html.escape(hint)}</span></li>"
        for label, values, hint in tries
    )
    return f'<div class="live-try"><p>Try this:</p><ul>{items}</ul></div>' if items else ""


class Panel:
    """A live panel: static HTML while the site is built, an ipywidget (``widget()``) in JupyterLab.

    ``tries`` are "try this" prompts, (label, {input name: value}, what to look for): buttons on the site
    and in JupyterLab that fill the panel's inputs (site and widget use the same input names) and apply.
    """

    def __init__(
        self,
        kind: str,
        controls: str,
        figures: list[go.Figure],
        note: str,
        widget: Any,
        data: str = "",
        tries: Sequence[Try] = (),
        actions: str = "",
        extra: str = "",
        attributes: dict[str, str] | None = None,
    ):
        if kind not in PANEL_KINDS:
            raise ValueError(f"unknown panel {kind!r}; choose one of {', '.join(PANEL_KINDS)}")
        self.kind, self.controls, self.figures, self.note, self.widget, self.data = (
            kind,
            controls,
            figures,
            note,
            widget,
            data,
        )
        self.tries = list(tries)
        self.actions, self.extra, self.attributes = actions, extra, dict(attributes or {})

    def to_html(self) -> str:
        """The panel's HTML; ``actions`` (HTML) sits beside the status line, ``extra`` after the figures."""
        figures = "".join(_figure_html(fig) for fig in self.figures)
        data = f' data-panel-data="{html.escape(self.data)}"' if self.data else ""
        data += "".join(f' data-{name}="{html.escape(value)}"' for name, value in self.attributes.items())
        return (
            f'<section class="live-panel" data-live="{self.kind}"{data} aria-label="Try it live">'
            f'<p class="live-note">{self.note}</p>{try_list(self.tries)}'
            f'<form class="live-controls" onsubmit="return false">{self.controls}</form>'
            '<p class="live-actions"><button type="button" class="live-load" hidden></button>'
            f'<span class="live-status" role="status" aria-live="polite"></span>{self.actions}</p>'
            f"{figures}{self.extra}</section>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if building_site() is not None:
            display({"text/html": self.to_html(), "text/plain": f"<live panel: {self.kind}>"}, raw=True)
        else:
            display(with_tries(self.widget(), self.tries))


def text_input(name: str, label: str, value: str, size: int = 40, placeholder: str = "") -> str:
    """A labelled text box: Enter applies."""
    hint = f' placeholder="{html.escape(placeholder)}"' if placeholder else ""
    return (
        f'<label>{html.escape(label)} <input type="text" name="{name}" value="{html.escape(value)}" '
        f'size="{size}" autocomplete="off" spellcheck="false"{hint}></label>'
    )


def buttons(name: str, options: list[tuple[str, str]], value: str) -> str:
    """A small group of toggle buttons (2-D / 3-D)."""
    items = "".join(
        f'<button type="button" name="{name}" value="{v}" aria-pressed="{str(v == value).lower()}">{html.escape(t)}'
        "</button>"
        for t, v in options
    )
    return f'<span class="live-toggle" role="group" aria-label="{name}">{items}</span>'


# --- ready-made panels (inside, playground, atlas_view and workbench hold their chapter's own) -----------

DEFAULT_WORDS = "king, queen, prince, cat, dog, wolf, pizza, bread, car, train"


def explorer_3d() -> dict:
    """The explorer's map in 3-D, as helpers draws it: the trace's look (no data) and the layout."""
    style = scatter_traces(np.zeros((1, 3)), [""], [""], dims=3)[0].to_plotly_json()
    for key in ("x", "y", "z", "text"):
        style.pop(key, None)
    return {"trace": dict(style, meta="points"), "layout": go.Layout(axes_layout(3)).to_plotly_json()}


def explorer_panel(words: str = DEFAULT_WORDS, tries: Sequence[Try] = ()) -> Panel:
    """The intro's explorer: your words as a 2-D or 3-D PCA map and a similarity heatmap."""
    texts = parse_words(words)
    figures = [
        plot_projection(texts, method="pca", dims=2).update_traces(meta="points"),
        plot_heatmap(texts).update_traces(meta="cosines"),
    ]
    # the browser's 3-D switch draws with Python's look; both maps 480 px high
    figures[0].update_layout(height=480, meta={"3-D": explorer_3d()})
    controls = text_input("words", "Words", words, size=60) + buttons("dims", [("2-D", "2"), ("3-D", "3")], "2")
    note = (
        "<strong>Try it live.</strong> Type words or short phrases separated by commas and press Enter. "
        "The map is a PCA, which your browser computes exactly; UMAP and t-SNE need the notebook "
        "(the rocket button at the top of the page)."
    )
    return Panel("explorer", controls, figures, note, widget=lambda: explore(words), tries=tries)


def text_panel(
    kind: str, name: str, label: str, value: str, draw: Any, note: str, data: str = "", tries: Sequence[Try] = ()
) -> Panel:
    """A panel with one text box whose figure is ``draw(<name>=text)``; in JupyterLab, a Live widget with that box."""

    def widget() -> Any:
        import ipywidgets as widgets

        box = widgets.Text(value=value, description=label, continuous_update=False, layout=widgets.Layout(width="70%"))
        return Live({name: box}, draw)

    first = draw(value)  # a figure, or a list of figures (and clips to play)
    shown = list(first) if isinstance(first, (list, tuple)) else [first]
    return Panel(kind, text_input(name, label, value, size=50), shown, note, widget, data=data, tries=tries)


def search_panel(
    ids: list[str],
    passages: list[str],
    vectors: np.ndarray,
    keywords: dict,
    draw: Any,
    query: str = "how do I keep my laptop cool",
    tries: Sequence[Try] = (),
) -> Panel:
    """The deep-learning chapter's search box: a question against the corpus, by meaning and by keywords.

    ``keywords`` describes the chapter's TF-IDF (terms, idf, stop words, each passage's weights) so the
    browser ranks by keywords the same way; ``draw(query=...)`` is the chapter's own figure for a query.
    """
    publish("search", {"ids": ids, "passages": passages, "keywords": keywords}, {"vectors": vectors})
    note = (
        "<strong>Try it live.</strong> Ask the corpus your own question and press Enter: the model's "
        "three best passages on the left, the keyword search's on the right."
    )
    return text_panel("search", "query", "Question", query, draw, note, data="search", tries=tries)


def images_panel(
    vectors: np.ndarray,
    pixels: np.ndarray,
    labels: np.ndarray,
    draw: Any,
    sentence: str = "a handwritten six",
    tries: Sequence[Try] = (),
    sounds: dict | None = None,
) -> Panel:
    """The human-experience chapter's search: a sentence against the held-out digit images (and sounds).

    ``sounds``, when given, is ``{"folder": ..., "clips": [{"file", "alt"}, ...], "vectors": (n, 384)}``:
    spoken clips whose files the chapter published under ``folder``; the panel then lists the closest
    clips too, and ``draw`` returns the image figure and the clips to play.
    """
    meta: dict = {"labels": [int(x) for x in labels]}
    arrays = {"vectors": vectors, "pixels": pixels}
    if sounds is not None:
        meta["sounds"] = {"folder": sounds["folder"], "clips": sounds["clips"]}
        arrays["sound_vectors"] = sounds["vectors"]
    publish("images", meta, arrays)
    also = " and the five spoken clips closest to it, in voices the sound encoder never heard" if sounds else ""
    note = (
        "<strong>Try it live.</strong> Describe a digit in your own words and press Enter: the eight "
        f"held-out images closest to your sentence appear{also}."
    )
    return text_panel("images", "sentence", "Sentence", sentence, draw, note, data="images", tries=tries)
