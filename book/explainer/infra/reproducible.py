"""What makes the same commit build the same book: results that do not depend on how work was grouped.

A transformer's matrix products round differently when the *shape* of a batch changes: the same text
encoded alone, beside a longer text (padding) or in a batch of another size comes out a few units in the
seventh decimal apart. The embedding cache keeps whichever copy was computed first, and in a parallel
build that depends on which chapter asked first, so a UMAP built on those vectors could fall differently
from one clean build to the next. ``encode`` removes the cause: every text is encoded in a batch of
exactly ``ROWS`` texts of its own token length (no padding), so a text's vector depends on the text and
the machine alone. (Measured on this book's machine: identical bits whatever the batch's other texts.)

``one_thread`` does the same for the computations whose sums are split across threads (scikit-learn's
t-SNE in ``projections`` and k-means in ``workbench``): it runs them on one thread, whatever the caller's
setting.
"""

from __future__ import annotations

import contextlib
import sys
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np

ROWS = 16  # every batch has exactly this many texts: big enough to be fast, small enough to pad cheaply


def token_lengths(model: Any, texts: list[str]) -> list[int]:
    """How many tokens the model reads of each text ([CLS] and [SEP] included, truncation applied)."""
    tokenizer = model.tokenizer
    ids = tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return [len(row) for row in ids]


def encode(model: Any, texts: list[str]) -> np.ndarray:
    """Unit vectors for texts, each computed in a fixed-shape batch: (ROWS, its own token length)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, length in enumerate(token_lengths(model, texts)):
        groups[length].append(i)
    out: np.ndarray | None = None
    for members in groups.values():
        for start in range(0, len(members), ROWS):
            chunk = members[start : start + ROWS]
            batch = [texts[i] for i in chunk] + [texts[chunk[-1]]] * (ROWS - len(chunk))  # pad with a copy
            vectors = model.encode(
                batch, batch_size=ROWS, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
            )
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[chunk] = vectors[: len(chunk)]
    assert out is not None
    return out


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with torch and every OpenMP/BLAS pool on one thread, then restore the settings."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")  # only when already imported: importing it here would cost seconds
    before = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            yield
    finally:
        if torch is not None and before is not None:
            torch.set_num_threads(before)
