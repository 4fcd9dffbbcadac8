"""Contrastive learning: the InfoNCE loss, the toy encoder the deep-learning chapter trains, and the figures."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.infra.projections import aligned_layouts
from explainer.teaching.figures import stepped_figure
from helpers import COLORS, scatter_traces

BUCKETS = 4096  # hashed word and trigram buckets of the toy encoder


def pieces(text: str) -> list[int]:
    """A text's words and character trigrams (of each word in <angle brackets>), hashed into BUCKETS."""
    words = text.lower().split()
    grams = [w[i : i + 3] for w in (f"<{w}>" for w in words) for i in range(len(w) - 2)]
    return [zlib.crc32(p.encode()) % BUCKETS for p in words + grams]


def toy_encoder(dim: int = 32):
    """A tiny text encoder: each bucket owns a learned ``dim``-number vector; a text is the normalised mean of
    its pieces' vectors. Returns a torch module that maps a list of texts to an (n, dim) tensor."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class ToyEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bag = nn.EmbeddingBag(BUCKETS, dim, mode="mean")

        def forward(self, texts: Sequence[str]):
            ids = [torch.tensor(pieces(t)) for t in texts]
            offsets = torch.tensor([0] + [len(i) for i in ids[:-1]]).cumsum(0)
            return F.normalize(self.bag(torch.cat(ids), offsets), dim=-1)

    return ToyEncoder()


def info_nce(a, b, temperature: float = 0.1):
    """Symmetric InfoNCE with in-batch negatives: row i of ``a`` should match row i of ``b`` only.

    ``a`` and ``b`` are (n, d) torch tensors of L2-normalised embeddings. Every other row in the batch
    serves as a negative, which is how most modern embedding models are trained.
    """
    import torch
    import torch.nn.functional as F

    if a.shape != b.shape or a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(f"info_nce needs two (n, d) batches with n >= 2, got {tuple(a.shape)} and {tuple(b.shape)}")
    logits = a @ b.T / temperature
    target = torch.arange(a.shape[0], device=a.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def plot_training(
    snapshots: Sequence[np.ndarray],
    labels: Sequence[int],
    texts: Sequence[str],
    groups: Sequence[str],
    title: str = "The space forming during training",
) -> go.Figure:
    """Animate 2-D layouts of the same texts across training (play button and slider)."""
    layouts = aligned_layouts(snapshots)
    lim = float(max(np.abs(xy).max() for xy in layouts)) * 1.1
    states = [
        (f"{epoch}", scatter_traces(xy, texts, groups, 2, text_labels=False, hover=texts), None)
        for epoch, xy in zip(labels, layouts)
    ]
    layout = dict(
        title=title,
        height=560,
        xaxis=dict(range=[-lim, lim], visible=False),
        yaxis=dict(range=[-lim, lim], visible=False, scaleanchor="x"),
    )
    return stepped_figure(states, layout, control="slider", label="epoch ", play=True, duration=350)


def plot_losses(
    losses: dict[str, Sequence[float]], guess: float | None = None, title: str = "Loss per epoch"
) -> go.Figure:
    """One line per named loss curve (epoch 0 = before training), on a log scale; ``guess`` draws the loss of
    a model that picks at random (ln of the number of candidates)."""
    fig = go.Figure(
        [
            go.Scatter(
                x=list(range(len(values))),
                y=np.round(values, 4),
                mode="lines",
                name=name,
                line=dict(color=COLORS[i]),
                hovertemplate=f"epoch %{{x}}: {name} loss %{{y:.3f}}<extra></extra>",
            )
            for i, (name, values) in enumerate(losses.items())
        ]
    )
    if guess is not None:
        fig.add_hline(y=guess, line_dash="dot", annotation_text=f"picking at random ({guess:.2f})")
    return fig.update_layout(
        height=360,
        title=title,
        xaxis_title="epoch",
        yaxis_title="InfoNCE loss",
        yaxis_type="log",
        legend=dict(orientation="h", y=-0.25),
    )


def partner_gaps(layout: np.ndarray, n_train: int) -> tuple[float, float]:
    """How far apart partners are on a 2-D layout of pairs (rows 2i and 2i+1), as a share of the average
    distance between any two phrases: for the first ``n_train`` pairs and for the rest."""
    gaps = np.linalg.norm(layout[0::2] - layout[1::2], axis=1)
    typical = np.linalg.norm(layout[:, None, :] - layout[None, :, :], axis=-1).mean()
    return float(gaps[:n_train].mean() / typical), float(gaps[n_train:].mean() / typical)


def plot_pair_training(
    snapshots: Sequence[np.ndarray], epochs: Sequence[int], texts: Sequence[str], n_train: int, title: str
) -> go.Figure:
    """Every pair as a line between its two phrases (rows 2i and 2i+1 of each snapshot), training pairs
    in one colour and held-out pairs in another, on a slider with a play button; each frame's title gives
    both kinds' partner gap (see ``partner_gaps``)."""
    layouts = aligned_layouts(snapshots)
    lim = float(max(np.abs(xy).max() for xy in layouts)) * 1.08

    def segments(xy: np.ndarray, pairs: range, name: str, color: str) -> go.Scatter:
        xs, ys, hover = [], [], []
        for i in pairs:
            xs += [xy[2 * i, 0], xy[2 * i + 1, 0], None]
            ys += [xy[2 * i, 1], xy[2 * i + 1, 1], None]
            hover += [texts[2 * i], texts[2 * i + 1], None]
        return go.Scatter(
            x=np.round(np.array(xs, dtype=float), 3),
            y=np.round(np.array(ys, dtype=float), 3),
            mode="lines+markers",
            name=name,
            line=dict(color=color, width=1.2),
            marker=dict(size=5, color=color),
            text=hover,
            hovertemplate="%{text}<extra>" + name + "</extra>",
        )

    states = []
    n = len(snapshots[0]) // 2
    for epoch, xy in zip(epochs, layouts):
        train_gap, held_gap = partner_gaps(xy, n_train)
        frame_title = f"{title}<br><sup>epoch {epoch}: partners {train_gap:.0%} (training) and {held_gap:.0%} (held out) as far apart as two phrases on average</sup>"
        traces = [
            segments(xy, range(n_train), "training pairs", COLORS[0]),
            segments(xy, range(n_train, n), "held-out pairs", COLORS[1]),
        ]
        states.append((f"{epoch}", traces, dict(title=dict(text=frame_title))))
    layout = dict(
        height=580,
        xaxis=dict(range=[-lim, lim], visible=False),
        yaxis=dict(range=[-lim, lim], visible=False, scaleanchor="x"),
        legend=dict(orientation="h", y=-0.05),
        margin=dict(t=90),
        meta=dict(
            description="Each pair of phrases as a short line; a slider and a play button step through training."
        ),
    )
    return stepped_figure(states, layout, control="slider", label="epoch ", play=True, duration=350)
