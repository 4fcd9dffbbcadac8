"""Neighbour maths, written once: exact top-k, nearest neighbours in 384-D and on a map, and what a map keeps.

* ``top_k``: the k highest scores of each row, best first. Every ranking in the book goes through it, and
  it breaks ties one way only: of equal scores, the lower index comes first (as a stable sort would).
* ``true_neighbours`` (cosine in the original space) and ``map_neighbours`` (Euclidean on a 2-D or 3-D
  map): each point's k nearest other points.
* ``retention_per_point`` and ``neighbour_retention`` (how many true neighbours a map keeps among its
  nearest), ``intruder_ranks`` (where the map's wrong neighbours rank) and ``trustworthiness``
  (scikit-learn's): the measures of how honest a map is, for the inside chapter and the atlas.
* ``central_items``: each cluster's members nearest its mean direction (what names a cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from explainer.infra.checks import check_k, finite_matrix

TREE_FROM = 4_000_000  # distances to measure: beyond, a k-d tree proposes the candidates (the answer is the same)
SPARE = 8  # candidates the tree proposes beyond k, so that a tie at the k-th place is seen whole


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero), without overflow for very large numbers."""
    x = x / np.maximum(np.abs(x).max(axis=1, keepdims=True), np.finfo(np.float32).tiny)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cosine of every row of ``a`` with every row of ``b`` (finite arrays of the same width), in [-1, 1]."""
    return np.clip(unit_rows(a) @ unit_rows(b).T, -1.0, 1.0)


def top_k(scores: Any, k: int, ids: Any = None) -> np.ndarray:
    """Positions of the k highest scores of each row (or of a 1-D array), highest first; equal scores: lower id first.

    ``ids`` (the shape of ``scores``) are what the columns stand for, e.g. item numbers; by default a column's
    own position. Exact whatever the ties, and in the time of a partition rather than a sort: only the scores
    at or above each row's k-th highest are sorted. ``k`` larger than a row gives the whole row, sorted.
    """
    s = np.asarray(scores)
    rows = s[None, :] if s.ndim == 1 else s
    n = rows.shape[1]
    ids = np.broadcast_to(np.arange(n), rows.shape) if ids is None else np.asarray(ids).reshape(rows.shape)
    k = min(int(k), n)
    if k == n:
        best = np.lexsort((ids, -rows), axis=-1)
    else:
        kth = np.partition(rows, n - k, axis=1)[:, n - k : n - k + 1]  # each row's k-th highest score
        row, col = np.nonzero(rows >= kth)  # at least k per row; more when scores tie with the k-th
        order = np.lexsort((ids[row, col], -rows[row, col], row))  # by row, then highest score, then lowest id
        counts = np.bincount(row, minlength=len(rows))
        starts = np.cumsum(counts) - counts  # where each row's entries begin in ``order``
        best = col[order][starts[:, None] + np.arange(k)]
    return best[0] if s.ndim == 1 else best


def top_k_except(scores: Any, k: int, leave_out: Sequence[bool]) -> np.ndarray:
    """``top_k`` of a 1-D array of scores, never returning an index where ``leave_out`` is True."""
    allowed = np.flatnonzero(~np.asarray(leave_out, dtype=bool))
    return allowed[top_k(np.asarray(scores)[allowed], k)]


def cosines_to_others(vectors: Any) -> np.ndarray:
    """Every point's cosine with every other point, from float32 vectors as ``helpers.similarity`` computes
    it; a point's own place holds -inf, so that it never ranks among its own neighbours."""
    x = finite_matrix(vectors, dtype=np.float32)
    scores = cosine(x, x)
    np.fill_diagonal(scores, -np.inf)
    return scores


def true_neighbours(vectors: Any, k: int = 10) -> np.ndarray:
    """Indices of each point's k nearest neighbours by cosine in the original space (never itself)."""
    x = finite_matrix(vectors)
    k = check_k(k)
    return top_k(cosines_to_others(x), k)


def squared_distances(points: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance from every row of ``points`` to every row of ``coords`` (float arrays)."""
    return ((points[:, None, :] - coords[None, :, :]) ** 2).sum(-1)


def map_neighbours(coords: Any, k: int = 10, rows: Any = None) -> np.ndarray:
    """Indices of each point's k nearest other points on the map (Euclidean), nearest first; equal distances:
    lower index first. ``rows`` (indices) limits the answer to those points; the default is every point."""
    y = finite_matrix(coords, "coords")
    k = check_k(k)
    if k >= len(y):
        raise ValueError(f"k = {k} needs more than {k} points, got {len(y)}")
    rows = np.arange(len(y)) if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
    if len(rows) * len(y) < TREE_FROM or k + 1 + SPARE > len(y):
        return _by_distance(y, rows, k)
    return _by_tree(y, rows, k)


def _by_distance(y: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    d2 = squared_distances(y[rows], y)
    d2[np.arange(len(rows)), rows] = np.inf  # never its own neighbour
    return top_k(-d2, k)


def _by_tree(y: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """``_by_distance``'s answer, from a k-d tree's k + 1 + SPARE candidates per point: the candidates are
    ranked by the same squared distances, and a point whose k-th candidate is not clearly nearer than the
    tree's last one (a tie that may go on beyond the candidates) is measured against every point instead."""
    from scipy.spatial import cKDTree

    distance, cand = cKDTree(y).query(y[rows], k=k + 1 + SPARE)
    d2 = ((y[cand] - y[rows][:, None, :]) ** 2).sum(-1)
    d2[cand == rows[:, None]] = np.inf  # itself
    order = np.lexsort((cand, d2), axis=-1)[:, :k]
    best = np.take_along_axis(cand, order, axis=1)
    kth = np.take_along_axis(d2, order[:, -1:], axis=1)[:, 0]
    unsure = np.flatnonzero(~(np.sqrt(kth) < distance[:, -1] * (1 - 1e-9)))
    if len(unsure):
        best[unsure] = _by_distance(y, rows[unsure], k)
    return best


def kept_counts(true: np.ndarray, on_map: np.ndarray) -> np.ndarray:
    """For each row, how many of its true neighbours (a row of ``true``) are among its map neighbours."""
    return np.array([len(set(a) & set(b)) for a, b in zip(np.asarray(true).tolist(), np.asarray(on_map).tolist())])


def retention_per_point(vectors: Any, coords: Any, k: int = 10) -> np.ndarray:
    """For each point, the share of its k nearest neighbours in the original space (cosine) that are
    still among its k nearest on the map (Euclidean)."""
    x = finite_matrix(vectors, "vectors")
    y = finite_matrix(coords, "coords")
    k = check_k(k)
    if len(x) != len(y):
        raise ValueError(f"vectors has {len(x)} rows but coords has {len(y)}; give one map point per vector")
    if k >= len(x):
        raise ValueError(f"k = {k} needs more than {k} points, got {len(x)}")
    return kept_counts(true_neighbours(x, k), map_neighbours(y, k)) / k


def neighbour_retention(vectors: Any, coords: Any, k: int = 10) -> float:
    """Share of 384-D cosine neighbours kept on the map, averaged over points: 1 is perfect, k/(n-1) chance."""
    return float(retention_per_point(vectors, coords, k).mean())


def intruder_ranks(vectors: Any, coords: Any, k: int = 10) -> np.ndarray:
    """For every map neighbour that is not a true neighbour, its rank among the point's true neighbours
    (11 = just missed the top 10)."""
    x, y = finite_matrix(vectors), finite_matrix(coords)
    k = check_k(k)
    rank = np.argsort(top_k(cosines_to_others(x), len(x)), axis=1) + 1  # rank[i, j]: where j stands in i's true ranking
    on_map = map_neighbours(y, k)
    return np.array([rank[i, j] for i in range(len(x)) for j in on_map[i] if rank[i, j] > k])


def trustworthiness(vectors: Any, coords: Any, k: int = 10) -> float:
    """scikit-learn's trustworthiness of a map, with cosine distances in the original space."""
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness

    return float(sklearn_trustworthiness(vectors, coords, n_neighbors=check_k(k), metric="cosine"))


def central_items(vectors: np.ndarray, labels: np.ndarray, per: int = 2) -> list[list[int]]:
    """For each cluster (labels 0, 1, ...), its ``per`` members closest by cosine to the cluster's mean direction
    (``vectors`` are unit rows, as embeddings are)."""
    out = []
    for c in range(int(labels.max()) + 1):
        members = np.flatnonzero(labels == c)
        centre = vectors[members].mean(axis=0)
        scores = vectors[members] @ (centre / max(np.linalg.norm(centre), 1e-12))
        out.append([int(members[i]) for i in top_k(scores, per)])
    return out
