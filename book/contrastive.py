"""Contrastive learning: the InfoNCE loss, the toy encoder the deep-learning chapter trains, and the figures."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from figures import stepped_figure
from helpers import scatter_traces
from projections import pca

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


def aligned_layouts(snapshots: Sequence[np.ndarray]) -> list[np.ndarray]:
    """2-D PCA of each snapshot, rotated onto the previous one (orthogonal Procrustes).

    Without the alignment each frame of a training animation could flip or spin at random.
    """
    if not snapshots:
        raise ValueError("no snapshots to lay out")
    out: list[np.ndarray] = []
    for snap in snapshots:
        xy = pca(np.asarray(snap, dtype=np.float64), 2)
        xy = xy / max(float(np.sqrt((xy**2).sum(axis=1).mean())), 1e-12)
        if out:
            u, _, vt = np.linalg.svd(xy.T @ out[-1])
            xy = xy @ (u @ vt)
        out.append(xy)
    return out


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


def plot_losses(losses: Sequence[float], title: str = "Loss per epoch") -> go.Figure:
    """The training loss per epoch, on a log scale."""
    fig = go.Figure(
        go.Scatter(
            x=list(range(1, len(losses) + 1)),
            y=np.round(losses, 4),
            mode="lines+markers",
            marker=dict(size=4),
            hovertemplate="epoch %{x}: loss %{y:.3f}<extra></extra>",
        )
    )
    return fig.update_layout(height=340, title=title, xaxis_title="epoch", yaxis_title="loss", yaxis_type="log")
