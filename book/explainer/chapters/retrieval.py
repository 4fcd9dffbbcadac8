"""Retrieval, shown: bars comparing a search by meaning with a search by keywords, one query at a time.

The chapter defines the two searches itself (they are the idea); this module draws what they return.
Each search is a function ``query -> [(passage id, score), ...]``, best first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.teaching.figures import stepped_figure
from helpers import COLORS, MUTED

Search = Callable[[str], list[tuple[str, float]]]


def result_bars(hits: list[tuple[str, float]], texts: Mapping[str, str], target: str | None = None) -> go.Bar:
    """Horizontal bars of (passage id, score), the passage's opening words on the bar, the target in green."""
    return go.Bar(
        x=[round(s, 3) for _, s in hits],
        y=[f"{pid}  " for pid, _ in hits],
        orientation="h",
        marker_color=[COLORS[2] if pid == target else MUTED for pid, _ in hits],
        text=[texts[pid][:60] + "…" for pid, _ in hits],
        textposition="inside",
        insidetextanchor="start",
        hovertext=[texts[pid] for pid, _ in hits],
        textfont=dict(size=11),
        hovertemplate="%{hovertext}<extra>%{x:.2f}</extra>",
        showlegend=False,
    )


def search_layout() -> dict:
    """Two panels side by side: by meaning (cosine) on the left, by keywords (tf-idf) on the right."""
    layout = make_subplots(
        rows=1, cols=2, subplot_titles=["MiniLM (meaning)", "TF-IDF (keywords)"], horizontal_spacing=0.12
    ).layout
    layout.update(
        height=400,
        margin=dict(l=90, r=20, t=130, b=40),
        uniformtext=dict(minsize=10, mode="show"),
        yaxis=dict(autorange="reversed"),
        yaxis2=dict(autorange="reversed", anchor="x2"),
        xaxis=dict(title="cosine"),
        xaxis2=dict(title="tf-idf score"),
        meta=dict(
            description="The three best passages for the chosen query: by MiniLM on the left, by keywords on the right."
        ),
    )
    return layout.to_plotly_json()


def search_traces(
    query: str, by_meaning: Search, by_keywords: Search, texts: Mapping[str, str], target: str | None = None
) -> list[go.Bar]:
    """The two searches' bars for one query."""
    return [  # meta: each trace's role, by which the browser's search panel finds it
        result_bars(by_meaning(query), texts, target).update(meta="by meaning"),
        result_bars(by_keywords(query), texts, target).update(xaxis="x2", yaxis="y2", meta="by keywords"),
    ]


def plot_search(query: str, by_meaning: Search, by_keywords: Search, texts: Mapping[str, str]) -> go.Figure:
    """Both searches for one query, titled with it."""
    traces = search_traces(query, by_meaning, by_keywords, texts)
    return go.Figure(traces, layout=search_layout()).update_layout(title=query)


def plot_search_menu(
    queries: Mapping[str, str], by_meaning: Search, by_keywords: Search, texts: Mapping[str, str]
) -> go.Figure:
    """Both searches for each query ({query: the passage that answers it}), picked from a dropdown."""
    states = [
        (query, search_traces(query, by_meaning, by_keywords, texts, target), None) for query, target in queries.items()
    ]
    fig = stepped_figure(states, search_layout(), control="dropdown")
    return fig.update_layout(updatemenus=[fig.layout.updatemenus[0].update(y=1.22)])
