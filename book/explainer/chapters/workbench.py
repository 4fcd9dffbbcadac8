"""Your own texts: clusters, near-duplicate pairs, the collection's figures, and the workbench panel.

The chapter "Bring your own texts" and its live panel share this module. In the reader's browser the
same steps run in JavaScript (``_static/book-workbench.js`` and its workers); here they run in Python for
the chapter's figures, the panel's first state, the JupyterLab widget, and collections beyond the
browser's 5,000 items.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.infra.neighbours import central_items
from explainer.teaching.figures import escape
from helpers import COLORS, INK, axes_layout, rounded

MAX_ITEMS = 5000  # what the browser embeds at once; beyond it, the notebook
MAX_LABEL = 48  # characters of a cluster's most central item in the legend
HOVER_LABEL, PAIR_LABEL = 200, 160  # characters of a text in a point's hover, in the pairs table
NEAREST = 10  # texts listed nearest to a search or a clicked point (and ringed on the map)
BINS = (-0.3, 1.0, 0.02)  # the histogram of pair scores: from, to, width
SHOWN_PAIRS = 20  # rows of the near-duplicates table
MIN_CLUSTERS, MAX_CLUSTERS = 2, 10  # the clusters menu's choices; auto_clusters stays within them
KMEANS_STARTS = 4  # k-means++ starts, the best kept (scikit-learn's n_init; book-collection.js's starts)
FORMULA_STARTS = "=+-@\t\r"  # a CSV cell starting so, after any apostrophes, gets one more (EXPORT_NOTE)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_lines(text: str) -> tuple[list[str], int]:
    """Items from pasted text, one per line, and how many lines were blank (skipped)."""
    lines = str(text).splitlines()
    items = [line.strip() for line in lines if line.strip()]
    return items, len(lines) - len(items)


def auto_clusters(n: int) -> int:
    """How many clusters to look for among n items: about √(n/2), at least 2, at most 10 (and at most n)."""
    return int(min(n, MAX_CLUSTERS, max(MIN_CLUSTERS, round(math.sqrt(n / 2)))))


def clusters(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means on the unit vectors (so, by cosine), numbered by size: cluster 0 is the largest.

    Never more clusters than different vectors (20 answers that are all "yes" or "no" make 2), and never an
    empty one: ``labels.max() + 1`` is how many were found, as in book-collection.js's ``kmeans``.
    """
    from sklearn.cluster import KMeans

    from explainer.infra import reproducible

    x = np.asarray(vectors, dtype=np.float64)
    k = max(1, min(k, len(np.unique(x, axis=0))))
    with reproducible.one_thread():  # k-means' sums split across threads round differently per thread count
        labels = KMeans(n_clusters=k, n_init=KMEANS_STARTS, random_state=seed).fit_predict(x)
    sizes = np.bincount(labels, minlength=k)
    order = [c for c in np.argsort(-sizes, kind="stable") if sizes[c]]
    rename = np.full(k, -1)
    rename[order] = np.arange(len(order))
    return rename[labels]


def _pair_blocks(vectors: np.ndarray, cells: float = 2e7):
    """All cosines, a block of rows at a time, in bounded memory: (first row, scores, mask of the pairs i < j)."""
    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    step = max(1, int(cells // max(n, 1)))  # 2e7 cells: about 80 MB of scores per block, for any n
    for start in range(0, n, step):
        scores = x[start : start + step] @ x.T
        yield start, scores, np.arange(n)[None, :] > np.arange(start, start + len(scores))[:, None]


def duplicate_pairs(vectors: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Every pair (a, b), a < b, whose cosine is at least ``threshold``: most similar first."""
    pairs = []
    for start, scores, upper in _pair_blocks(vectors):
        rows, cols = np.nonzero(upper & (scores >= threshold))
        pairs += [(int(i) + start, int(j), float(scores[i, j])) for i, j in zip(rows, cols)]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def pair_histogram(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of all pairs' cosines in bins of 0.02 from -0.3 to 1.0 (the ends take what falls outside)."""
    low, high, width = BINS
    bins = int(round((high - low) / width))
    counts = np.zeros(bins, dtype=np.int64)
    for _, scores, upper in _pair_blocks(vectors):
        index = np.clip(np.floor((scores[upper] - low) / width).astype(int), 0, bins - 1)
        counts += np.bincount(index, minlength=bins)
    return low + width * (np.arange(bins) + 0.5), counts


# --- figures (the browser redraws these, finding traces, lines and labels by role: book-workbench.js) -----


def _picked_look() -> dict:
    """How the browser marks a clicked text and its nearest texts on the map (the Python map shows neither)."""
    skip = dict(type="scatter", mode="markers", hoverinfo="skip")
    return {
        "nearest": dict(
            skip,
            name=f"its {NEAREST} nearest in 384-D",
            meta="nearest",
            marker=dict(symbol="circle-open", size=16, color=COLORS[3], line=dict(width=2)),
        ),
        "picked": dict(
            skip,
            name="the text you picked",
            meta="picked",
            marker=dict(symbol="star", size=18, color=INK, line=dict(width=1, color="#ffffff")),
        ),
    }


def plot_collection_map(
    texts: Sequence[str], coords: np.ndarray, labels: np.ndarray, central: list[list[int]], method: str
) -> go.Figure:
    """The collection as a map, one colour per cluster; the legend names each cluster by its most central item."""
    traces = []
    for c, best in enumerate(central):
        idx = np.flatnonzero(labels == c)
        traces.append(
            go.Scatter(
                x=rounded(coords[idx, 0]),
                y=rounded(coords[idx, 1]),
                mode="markers",
                name=f"{c + 1} · {escape(shorten(texts[best[0]]))}",
                meta="cluster",
                hovertext=[escape(shorten(texts[i], HOVER_LABEL)) for i in idx],
                customdata=idx,
                hovertemplate="%{hovertext}<extra>cluster " + str(c + 1) + "</extra>",
                marker=dict(color=COLORS[c % len(COLORS)], size=8, line=dict(width=0)),
            )
        )
    centres = rounded([np.median(coords[labels == c], axis=0) for c in range(len(central))])
    numbers = [
        dict(x=x, y=y, text=str(c + 1), showarrow=False, font=dict(size=15), name="cluster number")
        for c, (x, y) in enumerate(centres)
    ]
    fig = go.Figure(traces)
    title = f"{len(texts)} texts, {method.upper()} map, {len(central)} clusters found in 384-D"
    fig.update_layout(
        axes_layout(2, title=title, height=520, legend=dict(orientation="h", y=-0.05, yanchor="top")),
        annotations=numbers,
        meta=dict(
            description="Each point is one text, coloured by its cluster; hover to read it.", marks=_picked_look()
        ),
    )
    return fig


def plot_pair_scores(vectors: np.ndarray, threshold: float, floor: float) -> go.Figure:
    """All pairs' cosines (log scale), the threshold for near-duplicates, and the noise floor for sentences."""
    centres, counts = pair_histogram(vectors)
    above = len(duplicate_pairs(vectors, threshold))
    total = int(counts.sum())
    fig = go.Figure(
        go.Bar(
            x=rounded(centres),
            y=counts,
            marker_color=[COLORS[3] if c >= threshold else COLORS[0] for c in centres],
            hovertemplate="cosine %{x:.2f}: %{y} pairs<extra></extra>",
            showlegend=False,
            meta="pairs",
        )
    )
    for name, x, dash, label, y in [
        ("noise floor", floor, "dot", f"noise floor {floor:.2f}", 1.0),
        ("threshold", threshold, "solid", f"{threshold:.2f}", 0.9),
    ]:
        fig.add_vline(x=x, line_dash=dash, line_width=1.5, name=name)
        fig.add_annotation(x=x, y=y, yref="paper", text=label, showarrow=False, xanchor="left", xshift=4, name=name)
    fig.update_layout(
        title=f"All {total:,} pairs by cosine: {above:,} at or above {threshold:.2f}",
        height=360,
        bargap=0.05,
        xaxis=dict(title="cosine similarity", range=[BINS[0], BINS[1]]),
        yaxis=dict(title="pairs (log scale)", type="log", dtick=1),
        meta=dict(
            description="A bar chart of how many pairs of texts have each similarity; red bars are the pairs at or above the threshold."
        ),
    )
    return fig


def pairs_table(texts: Sequence[str], pairs: Sequence[tuple[int, int, float]], limit: int = SHOWN_PAIRS) -> str:
    """The most similar pairs as an HTML table (every text escaped); the browser fills the same markup."""
    rows = "".join(
        f"<tr><td>{score:.3f}</td><td>{html.escape(shorten(texts[a], PAIR_LABEL))}</td>"
        f"<td>{html.escape(shorten(texts[b], PAIR_LABEL))}</td></tr>"
        for a, b, score in pairs[:limit]
    )
    caption = f"{len(pairs):,} near-duplicate pairs" + (
        f", the {limit} most similar shown" if len(pairs) > limit else ""
    )
    return (
        f'<table class="wb-pairs"><caption>{caption}</caption>'
        f'<thead><tr><th scope="col">cosine</th><th scope="col">text</th><th scope="col">text</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


# --- the demo collection -----------------------------------------------------------------------------------


# --- the whole analysis, and the panel -------------------------------------------------------------------


def analyse(texts: Sequence[str], method: str = "umap", threshold: float = 0.75, k: int | None = None) -> dict:
    """What the workbench computes for a collection: vectors, clusters and their central items, a map, pairs."""
    from helpers import check_texts, embed, project

    texts = check_texts(list(texts))
    if len(texts) < 3:
        raise ValueError("Give at least 3 texts, one per line, to map and compare.")
    vectors = embed(texts)
    labels = clusters(vectors, k or auto_clusters(len(texts)))
    return {
        "texts": texts,
        "vectors": vectors,
        "labels": labels,
        "central": central_items(vectors, labels),
        "coords": project(vectors, method=method, dims=2),
        "pairs": duplicate_pairs(vectors, threshold),
        "method": method,
        "threshold": threshold,
    }


def figures(result: dict, floor: float) -> list[go.Figure]:
    """The map and the pair scores of ``analyse``'s result."""
    return [
        plot_collection_map(result["texts"], result["coords"], result["labels"], result["central"], result["method"]),
        plot_pair_scores(result["vectors"], result["threshold"], floor),
    ]


def _controls(texts: str, threshold: float, floor: float, demo: int) -> str:
    clusters_menu = "".join(f'<option value="{k}">{k}</option>' for k in range(MIN_CLUSTERS, MAX_CLUSTERS + 1))
    from explainer.teaching.panels import buttons, text_input

    return (
        '<label class="wb-wide">Your texts, one per line (up to 5,000)'
        f'<textarea name="texts" rows="8" spellcheck="false" autocomplete="off">{html.escape(texts)}</textarea></label>'
        '<label>Open a file <input type="file" class="wb-file" '
        'accept=".txt,.csv,.tsv,.jsonl,text/plain,text/csv,text/tab-separated-values"></label>'
        '<label data-private>Column <select name="column" class="wb-column"><option value="">(not a table)</option></select></label>'
        f'<button type="button" class="wb-demo">Demo: this book\'s {demo} paragraphs</button>'
        '<button type="button" class="wb-run">Embed and map</button>'
        f'<label>Clusters <select name="clusters"><option value="auto">auto</option>{clusters_menu}</select></label>'
        + buttons("method", [("UMAP", "umap"), ("PCA", "pca")], "umap")
        + '<label>Near-duplicates at or above <input type="range" name="threshold" min="0.2" max="1" step="0.01" '
        f'value="{threshold:.2f}" list="wb-marks"><output name="threshold-value">{threshold:.2f}</output></label>'
        f'<datalist id="wb-marks"><option value="{floor:.2f}"></option></datalist>'
        f'<span class="wb-floor">noise floor for sentences: {floor:.2f}</span>'
        + text_input("query", "Search your texts", "", size=30, placeholder="a question or a few words").replace(
            "<label>",
            "<label data-private>",
            1,  # what the reader searches for is theirs: never in a link
        )
        + '<input type="hidden" name="item" value="">'
    )


EXPORTS = [
    ("vectors.csv", "vectors (CSV)"),
    ("vectors.npy", "vectors (.npy)"),
    ("map.csv", "map and clusters (CSV)"),
    ("pairs.csv", "near-duplicate pairs (CSV)"),
]
# What book-workbench-worker.js does to a CSV cell (OWASP's advice against CSV injection), said to the reader
EXPORT_NOTE = (
    "In the CSV files, a text that starts with = + - @, a tab or a carriage return (or with apostrophes and "
    "then one of those) gets one more apostrophe in front, so a spreadsheet shows it as text instead of "
    "running it as a formula. Remove that first apostrophe to get the text back."
)


def workbench_panel(
    texts: str,
    floor: float,
    demo: Sequence[str],
    threshold: float = 0.75,
    tries: Sequence[Any] = (),
    fingerprint: str = "",
) -> Any:
    """The live workbench: the site's panel (first drawn from ``texts`` in Python), a widget in JupyterLab.
    ``demo`` is the book's paragraphs and ``fingerprint`` theirs (``booktext.fingerprint``): when the book's
    prose changes, the build runs the chapter again."""
    from explainer.teaching.panels import Panel, publish

    items, _ = read_lines(texts)
    result = analyse(items, threshold=threshold)
    publish("workbench", {"floor": round(floor, 4), "demo": list(demo), "paragraphs": fingerprint}, {})
    note = (
        "<strong>Try it live.</strong> Paste your own texts or open a file. They are embedded by the model "
        "running in this page; nothing you paste or open is sent anywhere or stored."
    )
    progress = (
        '<span class="wb-progress" hidden><progress max="1" value="0"></progress> '
        '<span class="wb-progress-text"></span> <button type="button" class="wb-cancel">Cancel</button></span>'
    )
    exports = "".join(
        f'<button type="button" data-export="{name}" disabled>{label}</button>' for name, label in EXPORTS
    )
    extra = (
        f'<div class="wb-results">{pairs_table(items, result["pairs"])}'
        '<div class="wb-found"><p class="wb-found-title">Click a point on the map, or search, to list the nearest '
        'texts by cosine in 384-D (not by distance on the map).</p><ol class="wb-list"></ol></div>'
        f'<p class="wb-export">Export what your browser computed: {exports}</p>'
        f'<p class="wb-export-note">{EXPORT_NOTE}</p></div>'
    )
    return Panel(
        "workbench",
        _controls(texts, threshold, floor, len(demo)),
        figures(result, floor),
        note,
        widget=lambda: workbench_widget(texts, floor, threshold),
        data="workbench",
        tries=tries,
        actions=progress,
        extra=extra,
        attributes={
            "noise-floor": f"{floor:.4f}",
            "limit": str(MAX_ITEMS),
            "share-note": "A link shares these settings only, never your texts.",
        },
    )


def workbench_widget(texts: str, floor: float, threshold: float = 0.75) -> Any:
    """JupyterLab: the same analysis with the Python model, on any number of texts (each embedded once, cached)."""
    import ipywidgets as widgets

    from explainer.teaching.live import Live

    controls = {
        "texts": widgets.Textarea(value=texts, rows=8, continuous_update=False, layout=widgets.Layout(width="70%")),
        "threshold": widgets.FloatSlider(
            value=threshold, min=0.2, max=1.0, step=0.01, description="duplicates ≥", continuous_update=False
        ),
        "method": widgets.ToggleButtons(options=[("UMAP", "umap"), ("PCA", "pca")], value="umap"),
    }

    def draw(texts: str, threshold: float, method: str) -> list[go.Figure]:
        items, _ = read_lines(texts)
        result = analyse(items, method=method, threshold=threshold)
        pairs = result["pairs"][:SHOWN_PAIRS]
        table = go.Figure(
            go.Table(
                header=dict(values=["cosine", "text", "text"]),
                cells=dict(
                    values=[
                        [f"{s:.3f}" for _, _, s in pairs],
                        [items[a] for a, _, _ in pairs],
                        [items[b] for _, b, _ in pairs],
                    ]
                ),
                columnwidth=[1, 5, 5],
            )
        )
        table.update_layout(title=f"{len(result['pairs'])} near-duplicate pairs", height=120 + 30 * max(len(pairs), 1))
        return [*figures(result, floor), table]

    return Live(controls, draw, "One text per line; every text is embedded once and cached on disk.")
