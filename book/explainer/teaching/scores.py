"""What a cosine score means for this model: the scores of random pairs (the noise floor) and of related ones.

A score only means something against the scores of pairs that have nothing to do with each other. Those
differ by kind of text: two random single words score around 0.25 with this model, two random sentences
around 0.05. ``random_pair_scores`` samples such pairs; ``noise_floor`` is the score 95 % of them stay
below; ``plot_score_bands`` draws the bands of one kind of text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.infra.bookdata import load_table
from helpers import COLORS, check_texts, embed, rounded

FLOOR_PERCENTILE = 95


def random_pair_scores(
    texts: Sequence[str], n: int = 2000, seed: int = 0, skip: Iterable[tuple[str, str]] = ()
) -> np.ndarray:
    """Cosine scores of ``n`` distinct random pairs of ``texts`` (a pair in ``skip``, either way round, is
    never drawn: leave out the pairs you know are related)."""
    texts = list(dict.fromkeys(check_texts(texts)))
    if len(texts) < 3:
        raise ValueError("random pairs need at least three different texts")
    known = {frozenset(p) for p in skip}
    candidates = [
        (i, j)
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if frozenset((texts[i], texts[j])) not in known
    ]
    if not 0 < n <= len(candidates):
        raise ValueError(f"n must be between 1 and the {len(candidates)} possible pairs, got {n}")
    chosen = np.random.default_rng(seed).choice(len(candidates), n, replace=False)
    vectors = embed(texts)
    return np.array([float(vectors[candidates[c][0]] @ vectors[candidates[c][1]]) for c in chosen])


def pair_scores(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Cosine score of each (first, second) pair."""
    if not pairs:
        raise ValueError("give at least one pair")
    firsts, seconds = embed([a for a, _ in pairs]), embed([b for _, b in pairs])
    return np.sum(firsts * seconds, axis=1)


def noise_floor(random_scores: Sequence[float]) -> float:
    """The score that 95 % of random pairs stay below: a score under it cannot be told from a random pair's."""
    return float(np.percentile(np.asarray(random_scores, dtype=float), FLOOR_PERCENTILE))


def plot_score_bands(bands: Mapping[str, Mapping[str, np.ndarray]], title: str) -> go.Figure:
    """Histograms of each band's scores, one kind of text per button (words, sentences), with its noise floor.

    ``bands`` maps a kind ("words") to {band name: scores}; the first band of each kind must be "random".
    """
    from explainer.teaching.figures import stepped_figure

    states = []
    for kind, by_band in bands.items():
        if next(iter(by_band)) != "random":
            raise ValueError(f"the first band of {kind!r} must be the random pairs")
        floor = noise_floor(by_band["random"])
        traces = [
            go.Histogram(
                x=rounded(values, 3),
                name=band,
                histnorm="percent",
                xbins=dict(start=-0.2, end=1.0, size=0.05),
                marker_color=COLORS[i],
                opacity=0.7,
                hovertemplate="%{x}: %{y:.0f}% of pairs<extra>" + band + "</extra>",
            )
            for i, (band, values) in enumerate(by_band.items())
        ]
        floor_line = go.Scatter(
            x=[floor, floor],
            y=[0, 60],
            mode="lines",
            line=dict(dash="dot", color="#888888"),
            name=f"noise floor {floor:.2f}",
            hovertemplate=f"95% of random pairs score below {floor:.2f}<extra></extra>",
        )
        count = sum(len(v) for v in by_band.values())
        states.append((kind, [*traces, floor_line], dict(title=dict(text=f"{title}: {kind} ({count} pairs)"))))
    widths = {len(traces) for _, traces, _ in states}
    if len(widths) != 1:
        raise ValueError("every kind of text needs the same number of bands")
    layout = dict(
        barmode="overlay",
        height=430,
        xaxis=dict(title="cosine similarity", range=[-0.2, 1]),
        yaxis=dict(title="% of pairs", range=[0, 60]),
        legend=dict(orientation="h", y=-0.25),
        margin=dict(t=110),
        meta=dict(
            description="Histograms of cosine scores for random, related and same-meaning pairs; a button switches between words and sentences; a dotted line marks the noise floor."
        ),
    )
    fig = stepped_figure(states, layout, control="buttons")
    return fig.update_layout(updatemenus=[fig.layout.updatemenus[0].update(y=1.12)])


def random_sentence_scores() -> np.ndarray:
    """400 random pairs of the book's paraphrase and related sentences, never two written as a pair: the
    random band for sentences (the inside chapter draws it; ``sentence_noise_floor`` reads its floor)."""
    pairs = load_table("score_pairs")
    texts = [t for _, a, b in pairs for t in (a, b)]
    return random_pair_scores(texts, n=400, skip=[(a, b) for _, a, b in pairs])


def sentence_noise_floor() -> float:
    """The noise floor for sentences like the book's."""
    return noise_floor(random_sentence_scores())
