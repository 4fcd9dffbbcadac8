"""The vectors chapter's live playground: a + w·b − c and its nearest words, on the site and in JupyterLab.

``playground_panel`` is the chapter's "Try it live" panel: on the site the browser recomputes the bars
from the published vocabulary; in JupyterLab it is the ``playground`` widget, which runs the Python model.
``playground_figure`` draws the bars for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from explainer.chapters.arithmetic import Embeddings, check_weight
from explainer.teaching.figures import neighbour_bars
from explainer.teaching.live import Live
from explainer.teaching.panels import Panel, Try, publish, text_input


def playground_figure(vocab: Embeddings, base: str, add: str, subtract: str, weight: float, k: int = 8) -> go.Figure:
    """Bars of the k vocabulary words nearest to ``base + weight·add − subtract`` (the inputs left out)."""
    if not base.strip() or not add.strip():
        raise ValueError("Fill in both a and b (c is optional).")
    term = vocab[base.strip()] + check_weight(weight) * vocab[add.strip()]
    if subtract.strip():
        term = term - vocab[subtract.strip()]
    fig = go.Figure(neighbour_bars(vocab.nearest(term, k=k)).update(meta="nearest"))  # the browser's role for it
    fig.update_layout(
        title=f"nearest words to {term.label}",
        height=120 + 30 * k,
        xaxis=dict(title="cosine similarity", range=[0, 1]),
        yaxis=dict(autorange="reversed", type="category"),  # a word such as 1984 is a label, never a number
        margin=dict(l=150, r=20, t=60, b=40),
    )
    return fig


def playground(
    vocab: Embeddings, base: str = "pizza", add: str = "pineapple", subtract: str = "", weight: float = 1.0, k: int = 8
) -> Live:
    """``base + w·add − subtract`` with a weight slider and the nearest vocabulary words."""
    import ipywidgets as widgets

    box = dict(continuous_update=False, layout=widgets.Layout(width="170px"))
    controls = {
        "base": widgets.Text(value=base, description="a", **box),
        "weight": widgets.FloatSlider(
            value=weight, min=0, max=10, step=0.25, description="+ w ·", continuous_update=False
        ),
        "add": widgets.Text(value=add, description="b", **box),
        "subtract": widgets.Text(value=subtract, description="− c", placeholder="optional", **box),
    }

    def draw(base: str, weight: float, add: str, subtract: str) -> go.Figure:
        return playground_figure(vocab, base, add, subtract, weight, k)

    return Live(controls, draw, f"Any words work for a, b and c; answers come from the {len(vocab)}-word vocabulary.")


def playground_panel(
    vocab: Any,
    base: str = "pizza",
    add: str = "pineapple",
    subtract: str = "",
    weight: float = 1.0,
    k: int = 8,
    tries: Sequence[Try] = (),
) -> Panel:
    """The vectors chapter's playground: a + w·b − c and its nearest words in the book's vocabulary."""
    publish("vocabulary", {"words": vocab.vocabulary, "k": k}, {"vectors": vocab.matrix})
    controls = (
        text_input("base", "a", base, size=14)
        + '<label>+ w <input type="range" name="weight" min="0" max="10" step="0.25" '
        f'value="{weight:g}"><output name="weight-value">{weight:g}</output></label>'
        + text_input("add", "· b", add, size=14)
        + text_input("subtract", "− c", subtract, size=14, placeholder="optional")
    )
    note = (
        f"<strong>Try it live.</strong> Any words work for a, b and c; the answers come from the book's "
        f"{len(vocab)}-word vocabulary. Press Enter, or move the slider."
    )
    figure = playground_figure(vocab, base, add, subtract, weight, k)
    return Panel(
        "playground",
        controls,
        [figure],
        note,
        data="vocabulary",
        widget=lambda: playground(vocab, base, add, subtract, weight, k),
        tries=tries,
    )
