"""The three ways the book squeezes 384 dimensions into 2 or 3: PCA, UMAP and t-SNE, on numpy arrays.

``helpers.project`` validates its input, caches the results and calls ``compute`` here. UMAP and
scikit-learn are imported only when a map is not in the cache. The atlas lays out its 20,000 words with
``umap_on_neighbours`` too, and animations of changing vectors line up their frames with ``aligned_layouts``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from explainer.infra.checks import finite_matrix
from explainer.infra.neighbours import top_k

METHODS = ("pca", "umap", "tsne")
METHOD_NAMES = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}


def check_method(method: Any, dims: Any) -> str:
    """The method's canonical name; a ValueError listing the valid ones otherwise."""
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown projection method {method!r}; choose one of {', '.join(METHODS)}")
    if dims not in (2, 3) or isinstance(dims, bool):
        raise ValueError(f"dims must be 2 or 3, got {dims!r}")
    return method.lower()


def pca_map(vectors: Any, dims: int = 2) -> Callable[[Any], np.ndarray]:
    """Fit PCA on vectors and return a function that places any vectors (old or new) in that map.

    Unlike UMAP or t-SNE, PCA is linear, so a point computed later (``pizza + w * pineapple``) lands
    exactly where it belongs among the words the map was fitted on.
    """
    check_method("pca", dims)
    x = finite_matrix(vectors)
    if len(x) < 2:
        raise ValueError("a projection needs at least two points")
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:dims]
    scores = (x - mean) @ basis.T
    signs = np.sign(scores[np.argmax(np.abs(scores), axis=0), range(basis.shape[0])])  # fix SVD's sign freedom
    basis = basis * np.where(signs == 0, 1, signs)[:, None]

    def place(v: Any) -> np.ndarray:
        out = (finite_matrix(v) - mean) @ basis.T
        if out.shape[1] < dims:  # fewer points than dimensions: the missing axes are flat
            out = np.hstack([out, np.zeros((len(out), dims - out.shape[1]))])
        return out

    return place


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    return pca_map(x, dims)(x)


def aligned_layouts(snapshots: Sequence[np.ndarray]) -> list[np.ndarray]:
    """2-D PCA of each snapshot, rotated onto the previous one (orthogonal Procrustes).

    Without the alignment each frame of an animation (training steps, a model's layers) could flip or
    spin at random.
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


_umap_ready = False


def _prepare_umap() -> None:
    """Swap UMAP's two ``parallel=True`` kernels for serial, disk-cached compilations.

    Numba cannot cache parallel kernels, so every fresh process spent ~10 s compiling them for the
    small inputs this book uses; the serial versions compute the same numbers and load from the cache.
    """
    global _umap_ready
    if _umap_ready:
        return
    import numba
    import umap.umap_ as umap_module

    for name in ("smooth_knn_dist", "compute_membership_strengths"):
        kernel = getattr(umap_module, name)
        serial = numba.njit(cache=True, locals=kernel.locals, fastmath=kernel.targetoptions.get("fastmath", False))
        setattr(umap_module, name, serial(kernel.py_func))
    _umap_ready = True


UMAP_MIN_DIST = 0.3  # how tightly UMAP packs close points (the workbench's UMAP in the browser too)


def umap(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """UMAP with the book's settings for small inputs: 15 neighbours (fewer for few points), found exactly."""
    n = len(x)
    k = max(2, min(15, n - 1))
    # exact cosine neighbours in numpy (what UMAP does for small inputs, minus its parallel JIT)
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    dist = np.clip(1.0 - unit @ unit.T, 0.0, None).astype(np.float32)
    np.fill_diagonal(dist, 0.0)
    knn_idx = top_k(-dist, k)  # each point itself among them, at distance 0
    knn_dist = np.take_along_axis(dist, knn_idx, axis=1)
    init = "spectral" if n > dims + 2 else "random"
    return umap_on_neighbours(x, (knn_idx, knn_dist), dims, seed, min_dist=UMAP_MIN_DIST, init=init)


def umap_on_neighbours(
    x: np.ndarray,
    neighbours: tuple[np.ndarray, np.ndarray],
    dims: int,
    seed: int,
    min_dist: float,
    init: Any,
    epochs: int | None = None,
) -> np.ndarray:
    """UMAP of ``x`` by cosine, from neighbours found beforehand: (indices, distances), one row per point,
    each row with as many neighbours as UMAP's ``n_neighbors``, the point itself among them. One thread,
    seeded: the same map every time."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes about n_jobs, random_state and precomputed_knn are noise here
        import umap as umap_learn

        _prepare_umap()
        indices, distances = neighbours
        reducer = umap_learn.UMAP(
            n_components=dims,
            n_neighbors=indices.shape[1],
            min_dist=min_dist,
            n_epochs=epochs,
            metric="cosine",
            random_state=seed,
            init=init,
            n_jobs=1,
            precomputed_knn=(indices, distances, None),
        )
        return reducer.fit_transform(x.astype(np.float32))


def tsne(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    from explainer.infra import reproducible

    n = len(x)
    # scikit-learn's defaults suit thousands of points. For the book's tens, a smaller perplexity, a lower
    # learning-rate floor and a gentler early exaggeration keep themes apart, and keep doing so when the
    # input moves by float noise: with the defaults, 3-D maps of 24-40 words came out as one mixed cloud
    # (silhouette 0.1-0.2 instead of about 0.5) for some last-digit changes of the embeddings.
    tsne_map = TSNE(
        n_components=dims,
        perplexity=float(min(30.0, max(2.0, n / 5))),
        learning_rate=max(n / 48, 10.0),
        early_exaggeration=4.0,
        metric="cosine",
        init="pca",
        random_state=seed,
        max_iter=1500,
    )
    with reproducible.one_thread():  # Barnes-Hut sums split across threads round differently per thread count
        return tsne_map.fit_transform(x.astype(np.float32))


def compute(x: np.ndarray, method: str, dims: int, seed: int) -> np.ndarray:
    """Run one method (already checked) on a finite (n, d) array with n >= 4 for UMAP and t-SNE."""
    if method == "pca":
        return pca(x, dims)
    return umap(x, dims, seed) if method == "umap" else tsne(x, dims, seed)


def spread_out(coords: np.ndarray, k: int) -> list[int]:
    """Indices of k points spread over the map (farthest-point sampling from the outermost point)."""
    coords = np.asarray(coords, dtype=np.float64)
    chosen = [int(np.argmax(((coords - coords.mean(axis=0)) ** 2).sum(axis=1)))]
    gap = ((coords - coords[chosen[0]]) ** 2).sum(axis=1)
    while len(chosen) < min(k, len(coords)):
        chosen.append(int(np.argmax(gap)))
        gap = np.minimum(gap, ((coords - coords[chosen[-1]]) ** 2).sum(axis=1))
    return sorted(chosen)


def warm_up() -> None:
    """Compile UMAP's numba kernels into their on-disk cache (run once, at install time)."""
    rng = np.random.default_rng(0)
    umap(rng.standard_normal((20, 8)).astype(np.float32), 2, 0)
