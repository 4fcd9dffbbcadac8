"""The data written for this book (``book/data/``): tab-separated tables and word lists."""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "data"  # book/data


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


def load_groups(name: str) -> dict[str, list[str]]:
    """Themed word groups from book/data/<name>.json ({"groups": {theme: [words]}})."""
    path = DATA_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no word groups named {name!r} in book/data")
    return json.loads(path.read_text(encoding="utf-8"))["groups"]
