"""Figures beyond the core two: stepped figures (slider, buttons, dropdown, Play), method switchers, bars.

``escape`` makes any text safe for a plotly label or hover box.

Every control here is plotly's own, so it works in the static site with no kernel.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.infra.projections import METHOD_NAMES, METHODS, check_method
from helpers import COLORS, Texts, axes_layout, check_texts, embed, groups_of, project, rounded, scatter_traces


def escape(text: str) -> str:
    """Text for a plotly label or hover: plotly reads <b>, <br> and <a>, so <, > and & are written as entities."""
    return html.escape(str(text), quote=False)


def plot_methods(
    texts: Texts | Mapping[str, Sequence[str]],
    dims: int = 2,
    groups: Sequence[str] | None = None,
    methods: Sequence[str] = METHODS,
    title: str = "Same words, three maps",
    seed: int = 0,
) -> go.Figure:
    """One projection figure with buttons that switch between PCA, UMAP and t-SNE."""
    words, labels = groups_of(texts, groups)
    vectors = embed(words)
    states = []
    for method in methods:
        method = check_method(method, dims)
        coords = project(vectors, method=method, dims=dims, seed=seed)
        states.append((METHOD_NAMES[method], scatter_traces(coords, words, labels, dims), None))
    layout = axes_layout(dims, title=dict(text=title, y=0.97, yanchor="top"))
    layout["margin"] = {**layout.get("margin", {}), "t": 100}  # room for the buttons; the rest from the template
    return stepped_figure(states, layout, control="buttons")


def plot_vectors(texts: Texts, title: str | None = None, model: Any = None) -> go.Figure:
    """The raw numbers: one row per text, one column per dimension, coloured by value."""
    words = check_texts(texts)
    vecs = embed(words, model)
    lim = float(np.abs(vecs).max())
    fig = go.Figure(
        go.Heatmap(
            z=rounded(vecs, 3),
            y=words,
            colorscale="RdBu_r",
            zmid=0,
            zmin=-lim,
            zmax=lim,
            hovertemplate="%{y}<br>dimension %{x}: %{z:.3f}<extra></extra>",
            colorbar=dict(title="value"),
        )
    )
    fig.update_layout(
        title=title or f"{vecs.shape[1]} numbers per text",
        height=120 + 40 * len(words),
        xaxis=dict(title="dimension"),
        yaxis=dict(autorange="reversed"),
    )
    return fig


def stepped_figure(
    states: Sequence[tuple[str, Sequence[go.BaseTraceType], dict | None]],
    layout: dict,
    control: str = "slider",
    label: str = "",
    play: bool = False,
    duration: int = 0,
    static: Sequence[go.BaseTraceType] = (),
) -> go.Figure:
    """A figure that steps through states with a plotly slider, buttons or a play button.

    Each state is (name, traces, layout_update). Every state must have the same number of traces
    (trace i of every state is the same plot element). ``static`` traces are drawn once and never
    repeated in the frames, which keeps pages small. Works in a static page: no kernel needed.
    """
    if control not in ("slider", "buttons", "dropdown"):
        raise ValueError(f"control must be 'slider', 'buttons' or 'dropdown', got {control!r}")
    if not states:
        raise ValueError("a stepped figure needs at least one state")
    count = len(states[0][1])
    if any(len(traces) != count for _, traces, _ in states):
        raise ValueError("every state needs the same number of traces")
    moving = list(range(len(static), len(static) + count))
    frames = [
        go.Frame(name=name, data=list(traces), traces=moving, layout=extra or {}) for name, traces, extra in states
    ]
    fig = go.Figure(data=list(static) + list(states[0][1]), frames=frames)
    fig.update_layout(layout)
    if states[0][2]:
        fig.update_layout(states[0][2])
    anim = dict(mode="immediate", frame=dict(duration=duration, redraw=True), transition=dict(duration=0))
    menus = []
    if control in ("buttons", "dropdown"):
        menus.append(
            dict(
                type=control,
                direction="right" if control == "buttons" else "down",
                showactive=True,
                x=0,
                y=1.02,
                xanchor="left",
                yanchor="bottom",
                active=0,
                buttons=[dict(label=name, method="animate", args=[[name], anim]) for name, _, _ in states],
            )
        )
    else:
        fig.update_layout(
            sliders=[
                dict(
                    active=0,
                    pad=dict(t=30),
                    currentvalue=dict(prefix=label),
                    steps=[dict(label=name, method="animate", args=[[name], anim]) for name, _, _ in states],
                )
            ]
        )
    if play:
        play_anim = dict(anim, frame=dict(duration=max(duration, 300), redraw=True), fromcurrent=True)
        menus.append(
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=0,
                xanchor="right",
                yanchor="top",
                pad=dict(t=45, r=10),
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, play_anim]),
                    dict(label="❚❚", method="animate", args=[[None], dict(anim, mode="immediate")]),
                ],
            )
        )
    if menus:
        fig.update_layout(updatemenus=menus)
    return fig


def plot_scores(
    scores: Mapping[str, float],
    title: str,
    percent: bool = False,
    yrange: tuple[float, float] = (0, 1),
    ytitle: str = "",
) -> go.Figure:
    """One bar per named score (accuracies, correlations), value printed on the bar."""
    names = list(scores)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[round(float(v), 3) for v in scores.values()],
            text=[f"{v:.0%}" if percent else f"{v:.2f}" for v in scores.values()],
            marker_color=[COLORS[i % len(COLORS)] for i in range(len(names))],
        )
    )
    fig.update_layout(
        title=title, height=360, yaxis=dict(range=list(yrange), title=ytitle, tickformat=".0%" if percent else None)
    )
    return fig


def neighbour_bars(hits: Sequence[tuple[str, float]], color: str = COLORS[0]) -> go.Bar:
    """Horizontal bars of (word, cosine) pairs, best at the top."""
    return go.Bar(
        x=[round(s, 3) for _, s in hits],
        y=[w for w, _ in hits],
        orientation="h",
        marker=dict(color=color),
        text=[f"{s:.2f}" for _, s in hits],
        textposition="inside",
        hovertemplate="%{y}: cosine %{x:.3f}<extra></extra>",
        showlegend=False,
    )


def _arrow(vec: np.ndarray, color: str, name: str) -> go.Scatter:
    return go.Scatter(
        x=[0, float(vec[0])],
        y=[0, float(vec[1])],
        mode="lines+markers+text",
        name=name,
        text=["", f"<b>{name}</b>"],
        textposition="top center",
        line=dict(color=color, width=4),
        marker=dict(symbol="arrow", size=[0, 16], angleref="previous"),
        hoverinfo="skip",
        showlegend=False,
    )


def plot_angle(a_length: float = 1.5, b_length: float = 1.2, step: int = 15) -> go.Figure:
    """Arrow a fixed along x, arrow b swung from 0° to 180° on a slider; the title gives cos θ and a · b."""
    a = np.array([a_length, 0.0])
    circle = np.linspace(0, 2 * np.pi, 121)
    unit_circle = go.Scatter(
        x=rounded(np.cos(circle)),
        y=rounded(np.sin(circle)),
        mode="lines",
        hoverinfo="skip",
        line=dict(color="#d0d0d0", dash="dot"),
        showlegend=False,
    )
    states = []
    for degrees in range(0, 181, step):
        theta = np.radians(degrees)
        b = b_length * np.array([np.cos(theta), np.sin(theta)])
        arc = np.linspace(0, theta, 30)
        angle = go.Scatter(
            x=rounded(0.45 * np.cos(arc)),
            y=rounded(0.45 * np.sin(arc)),
            mode="lines",
            line=dict(color="#888"),
            hoverinfo="skip",
            showlegend=False,
        )
        cos, dot = np.cos(theta), float(a @ b)
        title = f"θ = {degrees}°    cos θ = {cos:+.2f}    a · b = {dot:+.2f}    â · b̂ (unit arrows) = {cos:+.2f}"
        states.append((f"{degrees}°", [_arrow(b, COLORS[1], "b"), angle], dict(title=dict(text=title))))
    reach = max(a_length, b_length) + 0.2
    layout = dict(
        height=520,
        margin=dict(l=20, r=20, t=60, b=20),
        xaxis=dict(range=[-reach, reach], zeroline=True, showticklabels=False),
        yaxis=dict(range=[-0.3, reach - 0.2], scaleanchor="x", zeroline=True, showticklabels=False),
        meta=dict(
            description="Two arrows; a slider swings arrow b from 0 to 180 degrees while the title gives cos θ and the dot product."
        ),
    )
    return stepped_figure(states, layout, label="angle θ = ", static=[unit_circle, _arrow(a, COLORS[0], "a")])


def plot_agreement(
    x: np.ndarray, y: np.ndarray, labels: Sequence[str], xtitle: str, ytitle: str, title: str, jitter: float = 0.0
) -> go.Figure:
    """One dot per labelled pair: what one measure says (x) against another (y); hover shows the pair.

    ``jitter`` spreads dots that share an x value sideways (seeded), so a column of ties stays readable.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    shift = np.random.default_rng(0).uniform(-jitter, jitter, len(x)) if jitter else 0.0
    fig = go.Figure(
        go.Scatter(
            x=rounded(x + shift),
            y=rounded(y),
            mode="markers",
            marker=dict(size=6, color=rounded(y), colorscale="Viridis", opacity=0.75),
            text=list(labels),
            customdata=rounded(x),
            hovertemplate="%{text}<br>x %{customdata:.2f} · y %{y:.2f}<extra></extra>",
        )
    )
    return fig.update_layout(height=480, title=title, xaxis_title=xtitle, yaxis_title=ytitle)
