"""Figures of one space shared by several modalities: digit images, captions, sentences and sounds (human experience)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.infra.neighbours import top_k
from explainer.infra.projections import pca_map
from helpers import COLORS, rounded, scatter_traces

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
GREY = "#888888"
# the new sentences' crosses: black with a white rim, no digit's colour, seen on both themes
SENTENCE_MARK = dict(color="#111111", line=dict(color="#ffffff", width=1))


def with_article(name: str) -> str:
    """A digit's name with its article: "a seven", "an eight" ("one" begins with a consonant sound: "a one")."""
    return ("an " if name.startswith("eight") else "a ") + name


def _points(xyz: np.ndarray, **kwargs) -> go.Scatter3d:
    return go.Scatter3d(x=rounded(xyz[:, 0]), y=rounded(xyz[:, 1]), z=rounded(xyz[:, 2]), **kwargs)


def _placed(xyz: np.ndarray, hover: Sequence[str], name: str, marker: dict, kind: str) -> go.Scatter3d:
    """Points placed on the captions' map, each with its hover text; ``kind`` names them in the hover box."""
    return _points(
        xyz, mode="markers", text=list(hover), name=name, marker=marker, hovertemplate=f"%{{text}}<extra>{kind}</extra>"
    )


def plot_shared_space(
    captions: Sequence[str],
    caption_vectors: np.ndarray,
    images: tuple[np.ndarray, np.ndarray],
    sentences: tuple[Sequence[str], np.ndarray] | None = None,
    sounds: tuple[np.ndarray, np.ndarray, Sequence[str]] | None = None,
    title: str = "Digit images, captions and new sentences in one space",
) -> go.Figure:
    """One 3-D PCA map, fitted on the ten caption vectors, with everything else placed in it.

    ``images`` is (vectors, digits): small dots coloured by digit. ``sentences`` is (texts, vectors): grey
    crosses. ``sounds`` is (vectors, digits, hover texts): open circles in their digit's colour. The
    captions are diamonds labelled with their digit.
    """
    to_map = pca_map(caption_vectors, dims=3)  # the axes that best separate the ten captions
    vectors, digits = images
    order = np.argsort(digits, kind="stable")  # zero to nine, as the captions
    names = [DIGITS[d] for d in digits[order]]
    fig = go.Figure(
        scatter_traces(to_map(vectors[order]), [f"image of {with_article(n)}" for n in names], names, 3, False)
    )
    fig.update_traces(marker=dict(size=3, opacity=0.6))
    fig.add_trace(
        _points(
            to_map(caption_vectors),
            mode="markers+text",
            text=DIGITS,
            hovertext=list(captions),
            name="captions",
            marker=dict(size=8, symbol="diamond", color=COLORS[:10], line=dict(color=GREY, width=1)),
            hovertemplate="%{hovertext}<extra>caption</extra>",
        )
    )
    if sentences is not None:
        texts, sentence_vectors = sentences
        marker = dict(size=7, symbol="cross", **SENTENCE_MARK)
        fig.add_trace(_placed(to_map(sentence_vectors), texts, "sentences", marker, "new sentence"))
    if sounds is not None:
        sound_vectors, sound_digits, hover = sounds
        marker = dict(size=4, symbol="circle-open", color=[COLORS[d] for d in sound_digits])
        fig.add_trace(_placed(to_map(sound_vectors), hover, "spoken clips", marker, "sound"))
    blank = dict(showticklabels=False, title="")
    fig.update_layout(
        height=620,
        margin=dict(l=0, r=0, t=50, b=0),
        title=title,
        scene=dict(xaxis=blank, yaxis=blank, zaxis=blank),
    )
    return fig


def nearest_on_map(caption_vectors: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """For each vector, the index of the caption nearest to it on ``plot_shared_space``'s 3-D map (the PCA
    fitted on the captions), by distance on the map."""
    to_map = pca_map(caption_vectors, dims=3)
    gaps = to_map(vectors)[:, None, :] - to_map(caption_vectors)[None, :, :]
    return np.argmin(np.linalg.norm(gaps, axis=2), axis=1)


def digit_cosines(vectors: np.ndarray, digits: np.ndarray) -> tuple[np.ndarray, float]:
    """How tightly each digit's vectors gather: for each digit, the mean cosine between two different vectors
    of it; and the mean cosine between vectors of two different digits."""
    unit = np.asarray(vectors, dtype=float)
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    digits = np.asarray(digits)
    cos, same = unit @ unit.T, digits[:, None] == digits[None, :]
    within = [
        cos[np.ix_(digits == d, digits == d)][~np.eye(int(np.sum(digits == d)), dtype=bool)].mean() for d in range(10)
    ]
    return np.array(within), float(cos[~same].mean())


def share_in_span(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """For each vector, the share of its squared length that lies in the span of the rows of ``basis``."""
    q, _ = np.linalg.qr(np.asarray(basis, dtype=float).T)
    v = np.asarray(vectors, dtype=float)
    return np.sum((v @ q) ** 2, axis=1) / np.sum(v**2, axis=1)


def image_grid(
    queries: Mapping[str, np.ndarray], vectors: np.ndarray, images: np.ndarray, per_row: int = 5, title: str = ""
) -> go.Figure:
    """The ``per_row`` images whose vectors are closest to each query vector, one row per query (its label)."""
    labels = list(queries)
    best = [top_k(vectors @ queries[q], per_row) for q in labels]
    side = images.shape[1]
    gap = np.full((side, 1), np.nan)
    rows = [np.hstack([x for i in row for x in (images[i], gap)][:-1]) for row in best]
    grid = np.vstack([x for row in rows for x in (row, np.full((2, row.shape[1]), np.nan))][:-1])
    fig = go.Figure(go.Heatmap(z=grid, colorscale="gray_r", showscale=False, hoverinfo="skip", meta="images"))
    fig.update_layout(
        height=110 + 64 * len(labels),
        title=title or f"Top {per_row} held-out images for each sentence",
        meta=dict(description=f"Rows of handwritten digits: the {per_row} held-out images closest to each query."),
        xaxis=dict(visible=False, constrain="domain"),
        margin=dict(l=10, r=10, t=50, b=10),
        yaxis=dict(
            tickvals=[i * (side + 2) + (side - 1) / 2 for i in range(len(labels))],
            ticktext=labels,
            autorange="reversed",
            scaleanchor="x",
            constrain="domain",
            showgrid=False,
            zeroline=False,
        ),
    )
    return fig
