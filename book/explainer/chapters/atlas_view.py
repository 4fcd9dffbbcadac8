"""The atlas on screen: the map (WebGL), the distortion lens, one region up close, and the live panel.

``map_figure`` draws every word and paragraph with plotly's ``scattergl`` (WebGL: 20,000 points pan and
zoom smoothly, where SVG would create 20,000 elements), coloured by region, with the regions' names as
SVG text that the site thins to a readable density. On the site, ``_static/book-live-atlas.js`` adds
labels as the reader zooms, the lens on a click, and search with the model in the browser;
``atlas_panel`` publishes the data it fetches. In JupyterLab the same panel is a widget that runs the
Python model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.chapters.atlas import GRID, Atlas, K
from explainer.infra.neighbours import squared_distances, top_k
from explainer.teaching.figures import escape, neighbour_bars
from explainer.teaching.live import Live
from explainer.teaching.panels import Panel, Try, publish, text_input
from helpers import COLORS

PARAGRAPH_COLOR = "#E45756"
REGION_COLORS = [c for c in COLORS if c != PARAGRAPH_COLOR]  # nine: no region's dots look like paragraphs
WIDTH = 660  # px: the plot's width in the book's text column on a desktop
KEPT_COLOR, LOST_COLOR, FOCUS_COLOR = "#54A24B", "#F58518", "#B279A2"  # readable on light and dark
TRACES = {  # the map's traces by role: book-live-atlas.js finds them by these names (book-constants.js)
    "words": "words",
    "paragraphs": "paragraphs of this book",
    "labels": "regions",
    "kept": "kept near on the map",
    "lost": "pushed away by the map",
    "lens": "lens",
}


def wrap(text: str, width: int = 60, lines: int = 4) -> str:
    """Escaped text in short lines for a hover box (plotly's own <br>), cut after ``lines`` lines."""
    out, line = [], ""
    for word in str(text).split():
        if line and len(line) + len(word) + 1 > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    cut = len(out) > lines
    return "<br>".join(escape(x) for x in out[:lines]) + ("…" if cut else "")


def region_centres(a: Atlas, sample: int = 600) -> np.ndarray:
    """Where to write each region's name: where most of its words crowd together on the map.

    A region is a group in 384-D, and the map often scatters part of it: its name goes on the point
    with the most of its fellow words within 3% of the map's width (among a sample of its words).
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    centres = []
    for r in range(len(a.region_names)):
        members = a.xy[np.flatnonzero(a.regions == r)].astype(np.float64)
        tree = cKDTree(members)
        pick = members if len(members) <= sample else members[rng.choice(len(members), sample, replace=False)]
        crowd = [len(near) for near in tree.query_ball_point(pick, 0.03 * GRID)]
        centres.append(pick[int(np.argmax(crowd))])
    return np.array(centres)


def region_colours(centres: np.ndarray, palette: int = len(REGION_COLORS)) -> np.ndarray:
    """A palette colour per region, chosen so that regions whose names sit close differ in colour."""
    d2 = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    colour = np.full(len(centres), -1)
    for r in range(len(centres)):
        near = [c for c in colour[np.argsort(d2[r])[1:7]] if c >= 0]
        colour[r] = min(range(palette), key=lambda c: (near.count(c), (c - r) % palette))
    return colour


def map_figure(a: Atlas, title: str | None = None, lens: dict | None = None) -> go.Figure:
    """Every word and paragraph as WebGL points coloured by region, region names on top; an optional lens."""
    n = a.words
    centres = region_centres(a)
    colour = region_colours(centres)[a.regions].astype(np.uint8)
    m = len(REGION_COLORS)
    steps = [x for i, c in enumerate(REGION_COLORS) for x in ([i / m, c], [(i + 1) / m, c])]
    paragraphs = a.paragraphs
    traces: list[Any] = [
        go.Scattergl(
            x=a.xy[:n, 0].astype(np.uint16),
            y=a.xy[:n, 1].astype(np.uint16),
            mode="markers",
            text=a.texts[:n],
            name=TRACES["words"],
            hovertemplate="%{text}<extra></extra>",
            marker=dict(color=colour, colorscale=steps, cmin=-0.5, cmax=m - 0.5, size=4, opacity=0.5),
            showlegend=False,
        ),
        go.Scattergl(
            x=a.xy[n:, 0].astype(np.uint16),
            y=a.xy[n:, 1].astype(np.uint16),
            mode="markers",
            name=TRACES["paragraphs"],
            text=[wrap(p.text) for p in paragraphs],
            customdata=[[escape(p.chapter), p.href, p.section, p.text, p.chapter] for p in paragraphs],
            hovertemplate="%{text}<extra>%{customdata[0]}</extra>",
            marker=dict(
                color=PARAGRAPH_COLOR, symbol="diamond", size=7, opacity=0.9, line=dict(width=1, color="#ffffff")
            ),
            showlegend=False,
        ),
        go.Scatter(
            x=np.round(centres[:, 0]),
            y=np.round(centres[:, 1]),
            mode="text",
            text=[escape(name) for name in a.region_names],
            name=TRACES["labels"],
            textfont=dict(size=13, weight=600, shadow="auto"),
            hoverinfo="skip",
            showlegend=False,
        ),
    ]
    traces += lens_traces(a, lens)
    fig = go.Figure(traces)
    pad = GRID * 0.02
    (x0, y0), (x1, y1) = a.xy.min(axis=0) - pad, a.xy.max(axis=0) + pad
    base = title or f"{n:,} words and {len(paragraphs)} paragraphs, UMAP to 2-D"
    fig.update_layout(
        title=base + (f"<br><sup>{lens_title(lens)}</sup>" if lens else ""),
        height=int(WIDTH * (y1 - y0) / (x1 - x0)) + 90,  # the map's own shape at the page's width
        margin=dict(l=10, r=10, t=80, b=10),
        xaxis=dict(visible=False, range=[float(x0), float(x1)]),
        yaxis=dict(visible=False, range=[float(y0), float(y1)], scaleanchor="x"),
        hovermode="closest",
        uirevision="atlas",
        meta=dict(
            atlasTitle=base,  # the browser adds the lens's line under it
            atlasHome=dict(x=[float(x0), float(x1)], y=[float(y0), float(y1)]),  # the whole map
            description=(
                f"An interactive map of {n:,} words (dots coloured by region, region names on top) and "
                f"{len(paragraphs)} paragraphs of this book (red diamonds); drag a box to zoom, double-click "
                "to zoom out, hover for a word, click a point to draw lines to its 10 true nearest neighbours."
            ),
        ),
    )
    return fig


def lens(a: Atlas, query: str) -> dict:
    """The distortion lens for a word on the map (its own place) or any other text (placed, approximately)."""
    i = a.index(query)
    if i is not None:
        where, true, scores = a.xy[i].astype(np.float64), a.true[i], a.true_scores[i]
        near = a.map_neighbours(i)
    else:
        true, scores = a.nearest(query, K)
        where = a.place(query)
        near = a.map_neighbours(where)
    kept = [int(j) for j in true if j in set(near.tolist())]
    label = a.texts[i] if i is not None else query
    return dict(label=label, on_map=i is not None, xy=where, true=true, scores=scores, kept=kept)


def lens_title(view: dict) -> str:
    """The lens's one line, for a figure title (escaped)."""
    kept = len(view["kept"])
    where = "" if view["on_map"] else " (placed among its nearest items)"
    return (
        f"“{escape(view['label'][:40])}”{where}: {kept} of its {K} true neighbours are among its {K} nearest on the map"
    )


def lens_traces(a: Atlas, view: dict | None) -> list[go.Scatter]:
    """Lines from the focus to its true neighbours (green: also near on the map; orange: pushed away)."""
    groups = {True: ([], []), False: ([], [])}
    if view is not None:
        for j in view["true"]:
            xs, ys = groups[int(j) in view["kept"]]
            xs += [view["xy"][0], a.xy[j, 0], None]
            ys += [view["xy"][1], a.xy[j, 1], None]
    traces = [
        go.Scatter(
            x=groups[flag][0],
            y=groups[flag][1],
            mode="lines",
            name=TRACES["kept" if flag else "lost"],
            line=dict(color=KEPT_COLOR if flag else LOST_COLOR, width=2),
            hoverinfo="skip",
            showlegend=False,
        )
        for flag in (True, False)
    ]
    points = [] if view is None else [int(j) for j in view["true"]]
    label = "" if view is None else escape(view["label"][:40])
    traces.append(
        go.Scatter(
            x=[] if view is None else [view["xy"][0], *a.xy[points, 0]],
            y=[] if view is None else [view["xy"][1], *a.xy[points, 1]],
            mode="markers+text",
            text=[] if view is None else [label, *(escape(a.texts[j][:30]) for j in points)],
            textposition="top center",
            textfont=dict(size=14, shadow="auto"),
            marker=dict(
                size=[18, *[9] * len(points)], symbol=["star", *["circle-open"] * len(points)], color=FOCUS_COLOR
            ),
            name=TRACES["lens"],
            hoverinfo="skip",
            showlegend=False,
        )
    )
    return traces


def region_figure(a: Atlas, word: str, limit: int = 400) -> go.Figure:
    """One region up close: the words around ``word`` on the map, labelled (overlapping labels are thinned)."""
    i = a.index(word)
    if i is None or i >= a.words:
        raise ValueError(f"{word!r} is not one of the atlas's words")
    region = np.flatnonzero(a.regions == a.regions[i])
    near = region[top_k(-squared_distances(a.xy[i : i + 1], a.xy[region])[0], limit)]  # nearest first
    near = np.sort(near)  # most frequent first: their labels get their place first
    fig = go.Figure(
        go.Scatter(
            x=a.xy[near, 0],
            y=a.xy[near, 1],
            mode="markers+text",
            text=[a.texts[j] for j in near],
            textposition="top center",
            textfont=dict(size=11),
            marker=dict(size=5, color=COLORS[0], opacity=0.6),
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    name = a.region_names[a.regions[i]]
    fig.update_layout(
        title=f"Words near “{escape(word)}” in its region, “{escape(name)}”: {len(near)} of {len(region)}",
        height=560,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False, scaleanchor="x"),
    )
    return fig


# --- the live panel -------------------------------------------------------------------------------------

RESULTS = (
    '<div class="atlas-results" hidden>'
    '<div class="atlas-list"><p class="atlas-list-title">Nearest in 384-D</p><ol class="atlas-nearest"></ol></div>'
    '<div class="atlas-list"><p class="atlas-list-title">In this book</p><ol class="atlas-book"></ol></div>'
    "</div>"
    '<p class="atlas-nowebgl" hidden>This browser has WebGL switched off, so the map cannot draw its '
    "points; search still lists the nearest words and paragraphs.</p>"
)


def publish_data(a: Atlas, fingerprint: str) -> None:
    """The files the site's panel fetches: int8 vectors with a scale per row (with the model, for search),
    and each item's true neighbours (on the first click, for the lens). A no-op in JupyterLab."""
    scales = np.abs(a.vectors).max(axis=1) / 127
    vectors = np.round(a.vectors / scales[:, None]).astype(np.int8)
    meta = {"items": len(a.texts), "words": a.words, "paragraphs": fingerprint}
    publish("atlas", meta, {"vectors": vectors, "scales": scales.astype(np.float32)})
    publish("atlas-neighbours", meta, {"neighbours": a.true.astype(np.uint16), "scores": a.true_scores})


def results_figure(a: Atlas, query: str) -> go.Figure:
    """JupyterLab: the query's 10 nearest items and 3 nearest paragraphs, as bars."""
    hits = a.search(query, K)
    book = [(t, s) for t, s, kind in a.search(query, len(a.texts)) if kind == "paragraph"][:3]
    fig = go.Figure(neighbour_bars([(escape(t[:60]), s) for t, s, _ in hits] + [(escape(t[:60]), s) for t, s in book]))
    fig.update_layout(title=f"Nearest to “{escape(query[:60])}” (the last three: this book's paragraphs)")
    return fig


def atlas_panel(a: Atlas, fingerprint: str, query: str = "violin", tries: Sequence[Try] = ()) -> Panel:
    """The atlas with its search box and the lens on ``query``: a panel on the site, a widget in JupyterLab."""
    publish_data(a, fingerprint)
    controls = text_input("query", "Search by meaning", query, size=40, placeholder="a word, a phrase or a question")
    note = (
        "<strong>Try it live.</strong> Hover for words; drag a box to zoom in, double-click to zoom out; click "
        "any point to see where its 10 true neighbours are. Type a word, a phrase or a question and press Enter: "
        "the model runs in your browser and finds the nearest words and paragraphs among all of them."
    )

    def widget() -> Any:
        import ipywidgets as widgets

        def draw(query: str) -> list[go.Figure]:
            if not query.strip():
                return [map_figure(a)]
            view = lens(a, query.strip())
            return [map_figure(a, lens=view), results_figure(a, query.strip())]

        box = widgets.Text(
            value=query, description="Search", continuous_update=False, placeholder="a word or a question"
        )
        return Live({"query": box}, draw)

    figure = map_figure(a, lens=lens(a, query))
    return Panel("atlas", controls, [figure], note, widget, data="atlas", tries=tries, extra=RESULTS)


def honesty_figure(a: Atlas, kept: np.ndarray) -> go.Figure:
    """How many of each word's K true neighbours the map keeps: the spread, and by how tight the family is."""
    from plotly.subplots import make_subplots

    share = np.bincount(kept, minlength=K + 1) / len(kept)
    tightness = a.true_scores[: a.words].mean(axis=1)
    edges = np.quantile(tightness, np.linspace(0, 1, 6))
    band = np.clip(np.searchsorted(edges, tightness, side="right") - 1, 0, 4)
    means = [float(kept[band == b].mean()) for b in range(5)]
    labels = [f"{edges[b]:.2f}–{edges[b + 1]:.2f}" for b in range(5)]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["share of words keeping k of 10", "mean kept, by how close the 10 are"],
        horizontal_spacing=0.12,
    )
    spread = dict(x=list(range(K + 1)), y=np.round(100 * share, 1), marker_color=COLORS[0])
    by_tightness = dict(x=labels, y=np.round(means, 2), text=[f"{m:.1f}" for m in means], marker_color=COLORS[2])
    hovers = ["%{y}% of words keep %{x} of 10", "mean cosine to the 10 in %{x}: %{y:.2f} kept"]
    for col, (bars, hover) in enumerate(zip([spread, by_tightness], hovers), start=1):
        fig.add_trace(go.Bar(**bars, hovertemplate=hover + "<extra></extra>", showlegend=False), row=1, col=col)
    fig.update_layout(
        title="How many of each word's 10 true neighbours the map keeps among its 10 nearest",
        height=400,
        margin=dict(t=100),
        xaxis=dict(title="true neighbours kept", dtick=1),
        yaxis=dict(title="% of words"),
        xaxis2=dict(title="mean cosine to its 10 true neighbours (fifths of the words)"),
        yaxis2=dict(title="kept, of 10", range=[0, K]),
    )
    return fig
