"""Inside the model: its WordPiece tokens, the vectors after each layer, and how honest a 2-D map is.

Used by the chapter "Inside the model"; ``tokenize``, ``token_vectors`` and ``neighbour_retention`` are
the names its tests and other chapters rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures import stepped_figure
from helpers import COLORS, check_k, check_texts, load_model, similarity
from projections import finite_matrix

LAYERS = 6  # all-MiniLM-L6-v2: six Transformer layers after the input embeddings


def _one_text(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return check_texts(text)[0]


def _encoding(text: str, truncate: bool) -> dict:
    model = load_model()
    limit = model.max_seq_length if truncate else None
    return model.tokenizer(text, truncation=truncate, max_length=limit, return_tensors="pt" if truncate else None)


def tokenize(text: str, truncate: bool = True) -> list[str]:
    """The model's WordPiece tokens for ``text``, with [CLS] and [SEP].

    With ``truncate`` (the default) this is exactly what the model reads: at most ``max_seq_length``
    (256) tokens, the rest silently cut. ``truncate=False`` shows the whole text in pieces.
    """
    text = _one_text(text)
    ids = _encoding(text, truncate)["input_ids"]
    ids = ids[0].tolist() if truncate else ids
    return load_model().tokenizer.convert_ids_to_tokens(ids)


def token_ids(text: str) -> list[int]:
    """The vocabulary ids of ``tokenize(text)``."""
    return _encoding(_one_text(text), True)["input_ids"][0].tolist()


def token_vectors(text: str, layer: int = LAYERS) -> tuple[list[str], np.ndarray]:
    """The tokens of ``text`` and their vectors after ``layer``: an (n_tokens, 384) float32 array.

    Layer 0 is the input embeddings (word piece + position + segment), 6 the last Transformer layer,
    whose mean over the tokens, scaled to length 1, is the sentence embedding ``embed`` returns.
    """
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer <= LAYERS:
        raise ValueError(f"layer must be an integer from 0 (input embeddings) to {LAYERS}, got {layer!r}")
    tokens, layers = _all_layers(_one_text(text))
    return tokens, layers[int(layer)]


_layers_cache: dict[str, tuple[list[str], np.ndarray]] = {}


def _all_layers(text: str) -> tuple[list[str], np.ndarray]:
    """Tokens and a (7, n_tokens, 384) array of every layer's output, computed once per text."""
    if text not in _layers_cache:
        import torch

        model = load_model()
        batch = _encoding(text, True)
        with torch.no_grad():
            out = model[0].auto_model(**batch, output_hidden_states=True)
        layers = torch.stack(out.hidden_states)[:, 0].numpy().astype(np.float32)
        _layers_cache[text] = (model.tokenizer.convert_ids_to_tokens(batch["input_ids"][0].tolist()), layers)
    return _layers_cache[text]


def _nearest_first(distances: np.ndarray, k: int) -> np.ndarray:
    """Each row's k smallest distances, the point itself never among them."""
    return np.argsort(distances + np.eye(len(distances)) * 1e9, axis=1, kind="stable")[:, :k]


def true_neighbours(vectors: Any, k: int = 10) -> np.ndarray:
    """Indices of each point's k nearest neighbours by cosine in the original space."""
    return _nearest_first(-similarity(finite_matrix(vectors)), check_k(k))


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
    on_map = _nearest_first(((y[:, None, :] - y[None, :, :]) ** 2).sum(-1), k)
    return np.array([len(set(a) & set(b)) / k for a, b in zip(true_neighbours(x, k), on_map)])


def neighbour_retention(vectors: Any, coords: Any, k: int = 10) -> float:
    """Share of 384-D cosine neighbours kept on the map, averaged over points: 1 is perfect, k/(n-1) chance."""
    return float(retention_per_point(vectors, coords, k).mean())


def score_bands(random_pairs: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """The model's scale for sentences: cosines of the book's paraphrase pairs, related pairs, and random
    pairs drawn from the same sentences (never two that were written as a pair)."""
    from bookdata import load_table
    from helpers import embed

    pairs = load_table("score_pairs")
    scores = {}
    for kind in ("paraphrase", "related"):
        firsts, seconds = [a for k, a, _ in pairs if k == kind], [b for k, _, b in pairs if k == kind]
        scores[kind] = np.sum(embed(firsts) * embed(seconds), axis=1)
    together = {frozenset((a, b)) for _, a, b in pairs}
    pool = list(dict.fromkeys(t for _, a, b in pairs for t in (a, b)))
    vectors = embed(pool)
    candidates = [
        (i, j)
        for i in range(len(pool))
        for j in range(i + 1, len(pool))
        if frozenset((pool[i], pool[j])) not in together
    ]
    chosen = np.random.default_rng(seed).choice(len(candidates), random_pairs, replace=False)
    scores["random"] = np.array([vectors[candidates[c][0]] @ vectors[candidates[c][1]] for c in chosen])
    return scores


def sentence_noise_floor() -> float:
    """The cosine that 95 % of random pairs of sentences stay below: a score under it is noise."""
    return float(np.percentile(score_bands()["random"], 95))


# --- figures -------------------------------------------------------------------------------------------


def _piece_kind(token: str) -> int:
    if token in ("[CLS]", "[SEP]", "[PAD]"):
        return 9  # grey: markers the model adds
    if token == "[UNK]":
        return 3  # red: a character the vocabulary does not have
    return 1 if token.startswith("##") else 0  # orange: a continuation piece; blue: a word start


def token_strip(text: str) -> list[go.Scatter]:
    """One row of boxes, one per token, coloured by kind; hover shows the id."""
    ids = token_ids(text)
    tokens = load_model().tokenizer.convert_ids_to_tokens(ids)
    kinds = [_piece_kind(t) for t in tokens]
    return [
        go.Scatter(
            x=list(range(len(tokens))),
            y=[0] * len(tokens),
            mode="markers+text",
            text=tokens,
            textposition="middle center",
            textfont=dict(size=13, color="white"),
            marker=dict(symbol="square", size=46, color=[COLORS[k] for k in kinds]),
            customdata=ids,
            hovertemplate="%{text}<br>id %{customdata}<extra></extra>",
            showlegend=False,
        ),
        go.Scatter(
            x=list(range(len(tokens))),
            y=[-0.9] * len(tokens),
            mode="text",
            text=[str(i) for i in ids],
            textfont=dict(size=10),
            hoverinfo="skip",
            showlegend=False,
        ),
    ]


def plot_tokens(texts: Sequence[str], title: str = "How the model reads a word") -> go.Figure:
    """The WordPiece pieces (and ids) of each text, one text at a time, picked from a dropdown."""
    texts = check_texts(texts)
    counts = {t: len(token_ids(t)) for t in texts}
    states = [(t, token_strip(t), dict(title=dict(text=f"{title}: “{t}” → {counts[t]} tokens"))) for t in texts]
    layout = dict(
        height=260,
        margin=dict(l=20, r=20, t=110, b=20),
        xaxis=dict(visible=False, range=[-0.7, max(*counts.values(), 6) - 0.3]),
        yaxis=dict(visible=False, range=[-1.4, 0.7]),
    )
    fig = stepped_figure(states, layout, control="dropdown")
    fig.update_layout(updatemenus=[fig.layout.updatemenus[0].update(y=1.12)])
    return fig
