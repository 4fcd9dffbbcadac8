"""Word arithmetic and word axes: ``E["pizza"] + 10 * E["pineapple"]``, and directions such as cheap→expensive."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.infra.checks import check_k
from explainer.infra.neighbours import top_k_except
from explainer.infra.projections import pca_map
from explainer.teaching.figures import neighbour_bars, stepped_figure
from helpers import (
    COLORS,
    MUTED,
    Texts,
    as_matrix,
    axes_layout,
    check_texts,
    embed,
    groups_of,
    rounded,
    scatter_traces,
    similarity,
)

MAX_WEIGHT = 1e6


def check_weight(weight: Any) -> float:
    """A weight as a float; a TypeError for non-numbers, a ValueError for NaN, inf or absurd sizes."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
        raise TypeError(f"a weight must be a number, got {weight!r} ({type(weight).__name__})")
    try:
        value = float(weight)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"a weight must be finite, got {weight!r}")
    if abs(value) > MAX_WEIGHT:
        raise ValueError(f"a weight must lie between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}, got {value:g}")
    return value


class Term:
    """A vector with a readable expression: ``E["pizza"] + 10 * E["pineapple"]``."""

    __array_priority__ = 100  # so numpy scalars defer to Term's operators

    def __init__(self, vector: np.ndarray, label: str, words: tuple[str, ...]):
        self.vector = np.asarray(vector, dtype=np.float32)
        self.label = label
        self.words = words

    def _combine(self, other: Any, sign: float) -> Term:
        if not isinstance(other, Term):
            raise TypeError(f"can only add or subtract embeddings, got {other!r} ({type(other).__name__})")
        op = "+" if sign > 0 else "−"
        return Term(self.vector + sign * other.vector, f"{self.label} {op} {other.label}", self.words + other.words)

    def __add__(self, other: Any) -> Term:
        return self._combine(other, 1.0)

    def __sub__(self, other: Any) -> Term:
        return self._combine(other, -1.0)

    def __mul__(self, weight: Any) -> Term:
        w = check_weight(weight)
        label = self.label if " " not in self.label else f"({self.label})"
        return Term(self.vector * w, f"{w:g}·{label}", self.words)

    __rmul__ = __mul__

    def __neg__(self) -> Term:
        return self * -1

    def __repr__(self) -> str:
        return f"<{self.label}: {len(self.vector)} numbers>"


class Embeddings:
    """A vocabulary you can index by word and do arithmetic on.

    >>> E = Embeddings(["pizza", "pineapple", "pasta"])
    >>> E.nearest(E["pizza"] + 10 * E["pineapple"], k=3)
    """

    def __init__(self, vocabulary: Texts, model: Any = None):
        self.vocabulary = list(dict.fromkeys(check_texts(vocabulary, "vocabulary")))
        self.model = model
        self.matrix = embed(self.vocabulary, model)
        self._index = {w: i for i, w in enumerate(self.vocabulary)}

    def __len__(self) -> int:
        return len(self.vocabulary)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def __getitem__(self, word: str) -> Term:
        if not isinstance(word, str) or not word.strip():
            raise TypeError(f"look up a word with a non-empty string, got {word!r}")
        if word in self._index:
            vec = self.matrix[self._index[word]]
        else:  # any text works: embed it on the fly (cached)
            vec = embed(word, self.model)[0]
        return Term(vec, word, (word,))

    def vector(self, query: Term | str | np.ndarray) -> np.ndarray:
        if isinstance(query, Term):
            return query.vector
        if isinstance(query, str):
            return self[query].vector
        return as_matrix(query, "query")[0]

    def nearest(
        self, query: Term | str | np.ndarray, k: int = 5, exclude_inputs: bool = True
    ) -> list[tuple[str, float]]:
        """The k vocabulary words closest (cosine) to query; the query's own words are left out."""
        k = check_k(k)
        scores = similarity(self.vector(query), self.matrix)[0]
        skip = set()
        if exclude_inputs:
            skip = set(query.words) if isinstance(query, Term) else ({query} if isinstance(query, str) else set())
        best = top_k_except(scores, k, [w in skip for w in self.vocabulary])
        return [(self.vocabulary[i], round(float(scores[i]), 3)) for i in best]


def word_axis(start: str, end: str, model: Any = None) -> np.ndarray:
    """Unit direction from ``start`` to ``end`` (e.g. "cheap" -> "expensive")."""
    for name, word in (("start", start), ("end", end)):
        if not isinstance(word, str) or not word.strip():
            raise TypeError(f"the axis {name} must be a non-empty string, got {word!r}")
    if start.strip().lower() == end.strip().lower():
        raise ValueError(f"an axis needs two different ends, got {start!r} twice")
    a, b = embed([start, end], model)
    direction = b - a
    norm = float(np.linalg.norm(direction))
    if norm < 1e-6:
        raise ValueError(f"{start!r} and {end!r} embed to the same vector, so they define no direction")
    return direction / norm


def axis_coordinates(texts: Texts, axis: tuple[str, str], model: Any = None) -> np.ndarray:
    """Position of each text along a word axis (dot product with its direction)."""
    texts = check_texts(texts)
    return embed(texts, model) @ word_axis(*axis, model=model)


def plot_word_axes(
    texts: Texts | Mapping[str, Sequence[str]],
    x_axis: tuple[str, str],
    y_axis: tuple[str, str],
    groups: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Place texts on two axes that are directions between words, e.g. cheap→expensive.

    Unlike a projection, these axes have names: a point's x is how far its embedding leans from
    ``x_axis[0]`` toward ``x_axis[1]``.
    """
    words, labels = groups_of(texts, groups)
    coords = np.column_stack([axis_coordinates(words, x_axis), axis_coordinates(words, y_axis)])
    fig = go.Figure(scatter_traces(coords, words, labels, 2))
    fig.update_layout(
        title=title or f"{x_axis[0]} → {x_axis[1]}  against  {y_axis[0]} → {y_axis[1]}",
        xaxis=dict(title=f"← {x_axis[0]}   ·   {x_axis[1]} →", zeroline=True),
        yaxis=dict(title=f"← {y_axis[0]}   ·   {y_axis[1]} →", zeroline=True),
        height=560,
    )
    return fig


def plot_neighbours(vocab: Embeddings, queries: Sequence[str], k: int = 10, title: str | None = None) -> go.Figure:
    """Nearest vocabulary words of each query, one query at a time, picked from a dropdown."""
    queries = check_texts(queries, "queries")
    states = [(q, [neighbour_bars(vocab.nearest(q, k=k))], None) for q in queries]
    layout = dict(
        title=title or f"Nearest of {len(vocab)} words",
        height=140 + 32 * k,
        xaxis=dict(title="cosine similarity", range=[0, 1]),
        yaxis=dict(autorange="reversed"),
        margin=dict(l=150, r=20, t=90, b=40),
    )
    return stepped_figure(states, layout, control="dropdown")


def plot_arithmetic(
    vocab: Embeddings,
    base: str,
    add: str,
    subtract: str | None = None,
    weights: Sequence[float] = (0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7, 10),
    k: int = 5,
) -> go.Figure:
    """``base + w·add (− subtract)`` for a range of weights w, on a slider.

    The map is a PCA fitted on the words the path passes near, so the moving point is placed exactly
    (PCA is linear); the ringed points and the title are its k nearest words at each weight.
    """
    weights = [check_weight(w) for w in weights]
    if not weights:
        raise ValueError("give at least one weight")
    terms = [vocab[base] + w * vocab[add] for w in weights]
    if subtract:
        terms = [t - vocab[subtract] for t in terms]
    vectors = [t.vector / max(float(np.linalg.norm(t.vector)), 1e-12) for t in terms]
    inputs = {base, add} | ({subtract} if subtract else set())
    hits = [vocab.nearest(t, k=k) for t in terms]
    near = list(dict.fromkeys([base, add] + ([subtract] if subtract else []) + [w for h in hits for w, _ in h]))
    for word in list(near):
        near += [w for w, _ in vocab.nearest(word, k=3) if w not in near]
    near_vectors = embed(near)
    to_map = pca_map(near_vectors, dims=2)
    words_xy = rounded(to_map(near_vectors))
    path_xy = rounded(to_map(np.stack(vectors)))
    static = [
        go.Scatter(
            x=words_xy[:, 0],
            y=words_xy[:, 1],
            text=near,
            mode="markers+text",
            textposition="top center",
            marker=dict(
                size=[12 if w in inputs else 6 for w in near],
                color=[COLORS[1] if w in inputs else MUTED for w in near],
            ),
            textfont=dict(size=[13 if w in inputs else 10 for w in near]),
            name="words",
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        ),
        go.Scatter(
            x=path_xy[:, 0],
            y=path_xy[:, 1],
            mode="lines",
            line=dict(dash="dot", color=COLORS[0]),
            hoverinfo="skip",
            showlegend=False,
        ),
    ]
    index = {w: i for i, w in enumerate(near)}
    expr = f"{base} + w·{add}" + (f" − {subtract}" if subtract else "")
    states = []
    for w, xy, hit in zip(weights, path_xy, hits):
        idx = [index[h] for h, _ in hit]
        states.append(
            (
                f"{w:g}",
                [
                    go.Scatter(
                        x=words_xy[idx, 0],
                        y=words_xy[idx, 1],
                        mode="markers",
                        marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color=COLORS[3], width=2)),
                        hoverinfo="skip",
                        showlegend=False,
                    ),
                    go.Scatter(
                        x=[xy[0]],
                        y=[xy[1]],
                        mode="markers",
                        marker=dict(size=16, color=COLORS[0], symbol="star"),
                        hovertemplate=f"{expr}, w={w:g}<extra></extra>",
                        showlegend=False,
                    ),
                ],
                dict(
                    title=dict(
                        text=f"{expr}, w = {w:g}<br><sup>nearest: "
                        + ", ".join(f"{h} ({s:.2f})" for h, s in hit)
                        + "</sup>"
                    )
                ),
            )
        )
    layout = axes_layout(2, height=560, margin=dict(l=20, r=20, t=80, b=20))
    return stepped_figure(states, layout, control="slider", label="w = ", static=static)


Analogy = tuple[str, str, str, str]  # x − minus + plus, and the word we expect


def analogy_row(vocab: Embeddings, x: str, minus: str, plus: str, expected: str) -> dict:
    """One analogy, honestly: the answer with the inputs excluded and allowed (then all three inputs compete,
    listed or not), the first word's own nearest neighbour (the baseline, under the same exclusion of the three
    inputs as the answer: Linzen's ONLY-B), and the expected word's rank (None when it is not a candidate)."""
    query = vocab[x] - vocab[minus] + vocab[plus]
    ranked = [w for w, _ in vocab.nearest(query, k=len(vocab))]
    first_alone = Term(vocab[x].vector, x, query.words)  # x's vector, but all three inputs left out
    # inputs allowed: the best other word and the three inputs compete, whether or not the list holds them
    contenders = [ranked[0], x, minus, plus]
    scores = similarity(vocab.vector(query), np.vstack([vocab.vector(w) for w in contenders]))[0]
    return {
        "analogy": f"{x} − {minus} + {plus}",
        "expected": expected,
        "answer": ranked[0],
        "allowed": contenders[int(np.argmax(scores))],
        "baseline": vocab.nearest(first_alone, k=1)[0][0],
        "rank": ranked.index(expected) + 1 if expected in ranked else None,
    }


def analogy_table(rows: Sequence[dict], candidates: int) -> str:
    """Rows of ``analogy_row`` as a printed table, and a line counting the successes and the trivial ones."""
    lines = [f"{'analogy':28} {'expected':10} {'answer':12} {'inputs allowed':15} {'baseline':12} rank"]
    for row in rows:
        lines.append(
            f"{row['analogy']:28} {row['expected']:10} {row['answer']:12} {row['allowed']:15} "
            f"{row['baseline']:12} {row['rank'] or '-'}"
        )
    works = sum(row["answer"] == row["expected"] for row in rows)
    trivial = sum(row["answer"] == row["expected"] == row["baseline"] for row in rows)
    lines.append(
        f"\n{works} of {len(rows)} land on the expected word among {candidates:,} candidates; in {trivial} of "
        "them the first word's own nearest neighbour was already the answer."
    )
    return "\n".join(lines)
