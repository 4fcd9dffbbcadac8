"""How honest a 2-D map is: neighbours kept, trustworthiness, distances kept, a random map's scores beside
them, and a lens that draws one word's true neighbours wherever the map put them.

The neighbour measures themselves (``neighbour_retention``, ``trustworthiness``, ``intruder_ranks``) are
computed in ``neighbours.py``; this module adds the distances kept, the baselines and the figures of the
inside chapter's last section (its notebook reads ``intruder_ranks`` from here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.infra.checks import finite_matrix
from explainer.infra.neighbours import intruder_ranks as intruder_ranks  # the chapter's notebook imports it from here
from explainer.infra.neighbours import neighbour_retention, retention_per_point, true_neighbours, trustworthiness
from explainer.teaching.figures import stepped_figure
from helpers import COLORS, rounded

MEASURES = ("neighbours kept", "trustworthiness", "distances kept")


def distances_kept(vectors: np.ndarray, coords: np.ndarray) -> float:
    """Spearman correlation between all pairwise cosine distances and all pairwise map distances."""
    from scipy.spatial.distance import pdist
    from scipy.stats import spearmanr

    return float(spearmanr(pdist(finite_matrix(vectors), "cosine"), pdist(finite_matrix(coords))).statistic)


def measure(vectors: np.ndarray, coords: np.ndarray, k: int = 10) -> dict[str, float]:
    """The three scores of one map, by the names in ``MEASURES``."""
    return {
        "neighbours kept": neighbour_retention(vectors, coords, k),
        "trustworthiness": trustworthiness(vectors, coords, k),
        "distances kept": distances_kept(vectors, coords),
    }


def random_maps(vectors: np.ndarray, dims: int = 2, k: int = 10, seeds: int = 10) -> dict[str, float]:
    """The three scores averaged over ``seeds`` maps that place the points at random: the floor of each."""
    rng = np.random.default_rng(0)
    runs = [measure(vectors, rng.standard_normal((len(vectors), dims)), k) for _ in range(seeds)]
    return {name: float(np.mean([run[name] for run in runs])) for name in MEASURES}


def plot_honesty(scores: Mapping[str, Mapping[str, float]], baseline: Mapping[str, float], title: str) -> go.Figure:
    """Grouped bars, one panel per measure, one bar per map ({"PCA 2-D": measure(...)}); a dotted line marks
    the random map's score."""
    fig = make_subplots(rows=1, cols=len(MEASURES), subplot_titles=list(MEASURES), horizontal_spacing=0.08)
    names = list(scores)
    for col, measure_name in enumerate(MEASURES, start=1):
        values = [scores[name][measure_name] for name in names]
        fig.add_trace(
            go.Bar(
                x=names,
                y=rounded(values),
                marker_color=[COLORS[i // 2] for i in range(len(names))],
                text=[f"{v:.2f}" for v in values],
                showlegend=False,
                hovertemplate=f"%{{x}}: {measure_name} %{{y:.2f}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.add_hline(y=baseline[measure_name], line_dash="dot", row=1, col=col, annotation_text="random map")
    axes = {f"yaxis{'' if c == 1 else c}": dict(range=[-0.1 if c == 3 else 0, 1]) for c in range(1, len(MEASURES) + 1)}
    return fig.update_layout(
        height=420,
        title=title,
        margin=dict(t=100),
        meta=dict(
            description="Bars for PCA, UMAP and t-SNE in 2-D and 3-D on three measures, with a dotted line for a random map."
        ),
        **axes,
    )


def plot_lens(
    words: Sequence[str], vectors: np.ndarray, coords: np.ndarray, picked: Sequence[str], k: int = 10
) -> go.Figure:
    """The map coloured by each word's share of true neighbours kept; a menu picks a word and draws lines to
    its k true neighbours wherever the map put them."""
    words = list(words)
    kept = retention_per_point(vectors, coords, k)
    neighbours = true_neighbours(vectors, k)
    base = go.Scatter(
        x=rounded(coords[:, 0]),
        y=rounded(coords[:, 1]),
        mode="markers+text",
        text=words,
        textposition="top center",
        textfont=dict(size=10),
        customdata=rounded(kept, 2),
        showlegend=False,
        hovertemplate="%{text}: %{customdata:.0%} of its neighbours kept<extra></extra>",
        marker=dict(
            size=9,
            color=rounded(kept, 2),
            colorscale="Viridis",
            cmin=0,
            cmax=1,
            colorbar=dict(title="kept", tickformat=".0%"),
        ),
    )

    def lines(word: str) -> list[go.Scatter]:
        i = words.index(word)
        xs, ys = [], []
        for j in neighbours[i]:
            xs += [float(coords[i, 0]), float(coords[j, 0]), None]
            ys += [float(coords[i, 1]), float(coords[j, 1]), None]
        return [
            go.Scatter(
                x=xs, y=ys, mode="lines", line=dict(color=COLORS[3], width=1.5), hoverinfo="skip", showlegend=False
            ),
            go.Scatter(
                x=[float(coords[i, 0])],
                y=[float(coords[i, 1])],
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                marker=dict(size=18, symbol="star", color=COLORS[3]),
            ),
        ]

    states = [
        (
            word,
            lines(word),
            dict(
                title=dict(
                    text=f"“{word}”: {kept[words.index(word)]:.0%} of its {k} true neighbours are among its {k} nearest on the map"
                )
            ),
        )
        for word in picked
    ]
    layout = dict(height=600, xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"), margin=dict(t=110))
    fig = stepped_figure(states, layout, control="dropdown", static=[base])
    return fig.update_layout(updatemenus=[fig.layout.updatemenus[0].update(y=1.08)])
