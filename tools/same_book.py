"""Do two builds of one commit make the same book? Compare two built sites page by page.

    python tools/same_book.py SITE_A SITE_B

Compares every chapter page (its printed text and its figures' data) and every data file the live panels
read. A page counts as the same when its bytes are; otherwise the first lines of printed text that differ
are shown, or, when only figures differ, how many. Exit status 0 when the books agree, 1 otherwise.
``make bench`` runs it on two clean builds with separate empty caches.
"""

from __future__ import annotations

import difflib
import html
import re
import sys
from pathlib import Path

FIGURE = re.compile(r'<div id="fig-[0-9a-f]+".*?</script>', re.S)
TAG = re.compile(r"<[^>]+>")


def printed_text(page: str) -> list[str]:
    """The words a reader sees (figures removed), one non-empty line each."""
    text = html.unescape(TAG.sub(" ", FIGURE.sub(" ", page)))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def compare(a: Path, b: Path) -> list[str]:
    """One line per file that differs (with up to three differing lines of text); empty when all agree."""
    files = sorted(
        p.relative_to(a)
        for p in a.rglob("*")
        if p.is_file() and (p.suffix == ".html" or p.suffix in (".json", ".bin") and "_static" in p.parts)
    )
    problems = []
    for rel in files:
        other = b / rel
        if not other.exists():
            problems.append(f"{rel}: only in the first build")
            continue
        if (a / rel).read_bytes() == other.read_bytes():
            continue
        if rel.suffix != ".html":
            problems.append(f"{rel}: data differ")
            continue
        first, second = (p.read_text(encoding="utf-8") for p in (a / rel, other))
        diff = [
            line
            for line in difflib.unified_diff(printed_text(first), printed_text(second), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        figures = len(set(FIGURE.findall(first)) ^ set(FIGURE.findall(second))) // 2
        problems.append(f"{rel}: {len(diff)} lines of text and {figures} figures differ " + " | ".join(diff[:3]))
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    a, b = (Path(p).resolve() for p in argv)
    problems = compare(a, b)
    pages = sum(1 for _ in a.rglob("*.html"))
    if problems:
        print(f"the two builds differ in {len(problems)} files (of {pages} pages):")
        print("\n".join(f"  {line[:400]}" for line in problems))
        return 1
    print(f"the two builds agree: {pages} pages and the panels' data files, byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
