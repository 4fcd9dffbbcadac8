"""The checks that every array computation of the book starts with: a finite (n, d) matrix and a positive k.

Each raises a ValueError (or TypeError) with one sentence for the reader, naming what is wrong: the row
with a NaN, the shape, the k. ``projections``, ``neighbours`` and ``helpers`` call them on their input.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def finite_matrix(vectors: Any, what: str = "vectors", dtype: Any = np.float64) -> np.ndarray:
    """``vectors`` as a non-empty 2-D float array; a ValueError naming the first row with NaN or inf.

    The check runs after the conversion to ``dtype``, so a number too large for float32 is caught too.
    """
    try:
        with np.errstate(over="ignore"):
            x = np.asarray(vectors, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} must be numbers, an (n, d) array or a list of vectors") from err
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{what} must be a non-empty (n, d) array, got shape {x.shape}")
    bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if bad.size:
        raise ValueError(
            f"{what} row {bad[0]} holds NaN or infinity (or a number too large); every number must be finite"
        )
    return x


def check_k(k: Any) -> int:
    """``k`` (how many neighbours, words, items) as an int; a ValueError unless it is a positive integer."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(k)
