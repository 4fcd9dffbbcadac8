"""The on-disk caches of embeddings and projections: atomic writes, and reads that heal damage.

Every entry is one ``.npy`` file. A write goes to a private temporary file in the same folder and is
renamed into place, so a reader (another kernel of the parallel build, or the next build after a Ctrl-C)
sees either no entry or a whole one. A read that finds a truncated, garbage, wrongly shaped or
non-finite entry deletes it and reports a miss, so the caller recomputes it: damage is never served.

The caches live in ``.cache/`` at the top of the repository, or wherever ``EMBEDDINGS_BOOK_CACHE``
points; ``make clean-cache`` removes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
from collections.abc import Callable
from functools import cache as memoize
from pathlib import Path

import numpy as np

CACHE_DIR = Path(os.environ.get("EMBEDDINGS_BOOK_CACHE", Path(__file__).resolve().parents[3] / ".cache"))
FORMAT = 3  # bump when the layout or the meaning of an entry changes: old entries are then never read
# (3: vectors from fixed-shape batches, reproducible.encode; older ones differ in the last bits)


def slug(text: str) -> str:
    """A file-name-safe version of a model name or fingerprint."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[-80:]


def folder(kind: str) -> Path:
    """The folder of one cache ("embeddings" or "projections") under the current CACHE_DIR."""
    return CACHE_DIR / kind / f"v{FORMAT}"


@memoize
def model_fingerprint(name: str, package: str | None = None) -> str:
    """What embeddings are keyed on besides the text; it changes whenever the model's files do.

    A model shipped in a Python package is that package's name and version; a local folder is its files'
    names and sizes; anything else (a hub name) is the name itself.
    """
    if package:
        from importlib.metadata import PackageNotFoundError, version

        with contextlib.suppress(PackageNotFoundError):
            return f"{package}=={version(package)}"
    folder = Path(name)
    if folder.is_dir():
        files = sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*") if p.is_file())
        return name + "|" + hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]
    return name


def read(path: Path, valid: Callable[[np.ndarray], bool]) -> np.ndarray | None:
    """The array stored at ``path``, or None when there is none or it fails ``valid`` (then it is removed)."""
    try:
        with open(path, "rb") as fh:
            array = np.load(fh, allow_pickle=False)
    except FileNotFoundError:
        return None
    except Exception:  # truncated, empty, pickled, not an .npy at all: a miss, and the entry goes
        discard(path)
        return None
    if not isinstance(array, np.ndarray) or not np.all(np.isfinite(array)) or not valid(array):
        discard(path)
        return None
    return array


def write(path: Path, array: np.ndarray) -> None:
    """Store ``array`` at ``path`` atomically; concurrent writers of the same entry all succeed."""
    with io.BytesIO() as buffer:
        np.save(buffer, np.ascontiguousarray(array))
        write_bytes(path, buffer.getvalue())


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically: a private temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def is_unit_vector(dims: int | None = None) -> Callable[[np.ndarray], bool]:
    """A check for one embedding: float32, one row of ``dims`` numbers (any if None), length 1."""

    def check(array: np.ndarray) -> bool:
        return (
            array.dtype == np.float32
            and array.ndim == 1
            and array.size > 0
            and (dims is None or array.shape[0] == dims)
            and abs(float(np.linalg.norm(array)) - 1.0) < 1e-3
        )

    return check


def has_shape(shape: tuple[int, ...]) -> Callable[[np.ndarray], bool]:
    """A check for a projection: float32 of exactly ``shape``."""
    return lambda array: array.dtype == np.float32 and array.shape == shape
