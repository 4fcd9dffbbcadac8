"""Inside the model: its WordPiece tokens, the vectors after each layer, and the chapter's live panel.

Used by the chapter "Inside the model"; ``tokenize`` and ``token_vectors`` are the names its tests and
other chapters rely on. How honest a 2-D map is gets measured in ``neighbours.py`` (and drawn in
``honesty.py``); the chapter's notebook reads those measures from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.infra.checks import check_k
from explainer.infra.neighbours import (
    map_neighbours as map_neighbours,  # the chapter's notebook and the atlas's import these
)
from explainer.infra.neighbours import neighbour_retention as neighbour_retention
from explainer.infra.neighbours import true_neighbours as true_neighbours
from explainer.infra.projections import aligned_layouts
from explainer.teaching.figures import stepped_figure
from explainer.teaching.panels import Panel, Try, text_panel
from helpers import COLORS, check_texts, load_model

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

    Layer 0 is the input embeddings (word piece + position + segment, then LayerNorm), 6 the last layer,
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


# --- figures -------------------------------------------------------------------------------------------


MARKERS = ("[CLS]", "[SEP]", "[PAD]")  # the pieces the tokenizer adds
PIECE_COLOURS = {"marker": 9, "unknown": 3, "continuation": 1, "word": 0}  # indices into COLORS (the browser's too)


def _piece_kind(token: str) -> int:
    """The colour of a piece: grey for a marker the model adds, red for [UNK] (a character the vocabulary does
    not have), orange for a continuation (##), blue for a word's start."""
    if token in MARKERS:
        return PIECE_COLOURS["marker"]
    if token == "[UNK]":
        return PIECE_COLOURS["unknown"]
    return PIECE_COLOURS["continuation" if token.startswith("##") else "word"]


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
            meta="pieces",  # the browser's tokens panel finds its traces by these roles
        ),
        go.Scatter(
            x=list(range(len(tokens))),
            y=[-0.9] * len(tokens),
            mode="text",
            text=[str(i) for i in ids],
            textfont=dict(size=10),
            hoverinfo="skip",
            showlegend=False,
            meta="ids",
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


def vocabulary_words(n: int = 5000) -> list[str]:
    """The model's own first ``n`` whole words: WordPiece entries of two or more ASCII letters, in the
    vocabulary's order (roughly most frequent first). Read from ``vocab.txt``; no model is loaded."""
    from pathlib import Path

    from helpers import model_path

    n = check_k(n)
    pieces = (Path(model_path()) / "vocab.txt").read_text(encoding="utf-8").split("\n")
    words = [p for p in pieces if len(p) >= 2 and p.isascii() and p.isalpha()]
    return words[:n]


def plot_truncation(pieces: Sequence[str], kept: int) -> go.Figure:
    """One bar per piece of a long text (without [CLS] and [SEP]): blue for the first ``kept``, which the model
    reads, red for the rest, silently cut."""
    bars = [
        go.Bar(
            x=list(range(start, stop)),
            y=[1] * (stop - start),
            marker_color=color,
            name=name,
            hovertext=list(pieces[start:stop]),
            hovertemplate="%{x}: %{hovertext}<extra></extra>",
        )
        for start, stop, color, name in (
            (0, kept, COLORS[0], "read by the model"),
            (kept, len(pieces), COLORS[3], "silently cut"),
        )
    ]
    fig = go.Figure(bars)
    return fig.update_layout(
        height=260,
        bargap=0.05,
        title=f"{len(pieces)} pieces of text: the first {kept} read, the last {len(pieces) - kept} cut; hover to read them",
        yaxis=dict(visible=False),
        xaxis=dict(title="token position"),
        legend=dict(orientation="h", y=-0.45),
    )


def token_vector(sentence: str, token: str, layer: int) -> np.ndarray:
    """The vector of the first ``token`` of ``sentence`` after ``layer``, scaled to length 1."""
    tokens, vectors = token_vectors(sentence, layer)
    if token not in tokens:
        raise ValueError(f"{token!r} is not one of the tokens of {sentence!r}: {tokens}")
    v = vectors[tokens.index(token)]
    return v / np.linalg.norm(v)


def plot_layer_cosines(curves: dict[str, Sequence[float]], title: str) -> go.Figure:
    """One line per named comparison: the cosine between two token vectors after each layer."""
    layers = list(range(LAYERS + 1))
    fig = go.Figure(
        [
            go.Scatter(
                x=layers, y=np.round(values, 3), mode="lines+markers", name=name, line_color=COLORS[[2, 3][i % 2]]
            )
            for i, (name, values) in enumerate(curves.items())
        ]
    )
    return fig.update_layout(
        height=380,
        title=title,
        xaxis=dict(title="layer (0 = input embeddings)", dtick=1),
        yaxis=dict(title="cosine"),
        hovermode="x unified",
        legend=dict(orientation="h", y=-0.3),
    )


def plot_layers(sentences: dict[str, str], mark: str) -> go.Figure:
    """Every token of the sentences after each layer (2-D PCA, each frame turned onto the last), on a slider;
    the tokens equal to ``mark`` drawn as stars."""
    tokens = {name: token_vectors(text, 0)[0] for name, text in sentences.items()}
    stacks = [np.vstack([token_vectors(text, n)[1] for text in sentences.values()]) for n in range(LAYERS + 1)]
    frames = aligned_layouts(stacks)
    lim = float(max(np.abs(xy).max() for xy in frames)) * 1.15

    def traces(xy: np.ndarray) -> list[go.Scatter]:
        out, start = [], 0
        for i, (name, toks) in enumerate(tokens.items()):
            rows = xy[start : start + len(toks)]
            start += len(toks)
            out.append(
                go.Scatter(
                    x=np.round(rows[:, 0], 3),
                    y=np.round(rows[:, 1], 3),
                    mode="markers+text",
                    name=f"“{sentences[name]}”",
                    text=toks,
                    textposition="top center",
                    hovertext=[f"{t} ({name})" for t in toks],
                    hovertemplate="%{hovertext}<extra></extra>",
                    marker=dict(
                        color=COLORS[2 if i == 0 else 3],
                        size=[16 if t == mark else 8 for t in toks],
                        symbol=["star" if t == mark else "circle" for t in toks],
                    ),
                )
            )
        return out

    states = [(str(n), traces(xy), None) for n, xy in enumerate(frames)]
    layout = dict(
        title=f"Token vectors of both sentences, layer by layer (★ = {mark})",
        height=560,
        xaxis=dict(range=[-lim, lim], visible=False),
        yaxis=dict(range=[-lim, lim], visible=False),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        margin=dict(t=110),
    )
    return stepped_figure(states, layout, control="slider", label="layer ")


TOKENS_MAX_CHARS = 300  # the tokens panel shows the pieces of this many characters (the browser's panel too)


def tokens_panel(text: str = "Embeddings are surprisingly fun", tries: Sequence[Try] = ()) -> Panel:
    """The chapter's live panel: your own text in the model's word pieces (only the tokenizer runs)."""

    def draw(text: str) -> go.Figure:
        if not text.strip():
            raise ValueError("Type a word or a sentence.")
        return plot_tokens([text.strip()[:TOKENS_MAX_CHARS]], title="Your text")

    note = (
        "<strong>Try it live.</strong> Type any text and press Enter to see the pieces the model reads "
        "(this needs only the tokenizer, not the whole model)."
    )
    return text_panel("tokens", "text", "Text", text, draw, note, tries=tries)
