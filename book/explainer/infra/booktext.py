"""The book's own paragraphs, read from its chapters' Markdown, each with a link to its section.

``paragraphs()`` reads the pages of ``_toc.yml`` in order (notebooks' Markdown cells, or ``.md`` files),
and returns every paragraph, list item and quotation as plain text (no Markdown syntax), with its
chapter, the heading above it and the link to that heading's section on the site. Section anchors are
made the way Sphinx makes them (docutils' ``make_id``); a test checks them against the built pages.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the repository
MIN_WORDS = 6
MAX_CHARS = 2000  # helpers.embed's limit; the model reads at most 256 word pieces anyway
BLOCKS = ("admonition", "note", "tip", "important", "warning", "hint", "attention", "caution", "seealso")


@dataclass(frozen=True)
class Paragraph:
    text: str
    chapter: str  # the chapter's title
    section: str  # the heading above the paragraph
    href: str  # e.g. "inside.html#how-honest-is-a-map", relative to the chapters' folder


def toc_files(root: Path = ROOT) -> list[Path]:
    """The source file of every page in ``_toc.yml``, in reading order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries: list | None) -> None:
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    found = []
    for name in names:
        for suffix in (".ipynb", ".md"):
            if (root / f"{name}{suffix}").exists():
                found.append(root / f"{name}{suffix}")
                break
    return found


def markdown_of(path: Path) -> list[str]:
    """The Markdown of a page: each Markdown cell of a notebook, or the whole of a .md file."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "markdown"
    ]


ROLE = re.compile(r"\{([a-z:-]+)\}$")  # a MyST role such as {term} just before its `content`
TARGET = re.compile(r"^(.*?)\s*<[^<>]+>$")  # `label <target>`: the reader sees the label
GLUED = "…"  # a number a cell computes ({glue:text}`key`): known only once that chapter has run


def _reader_text(inline) -> str:
    """An inline token's text without Markdown: links keep their words, code keeps its characters, and a
    role such as {term}`cosine <cosine similarity>` keeps what the reader sees ("cosine"). A glued number
    becomes an ellipsis, the same on every build whichever chapter ran first."""
    parts: list[str] = []
    role = None
    for child in inline.children or []:
        if child.type == "text":
            found = ROLE.search(child.content)
            role = found.group(1) if found else None
            parts.append(ROLE.sub("", child.content))
        elif child.type == "code_inline":
            label = TARGET.match(child.content) if role else None
            parts.append(GLUED if role and role.startswith("glue") else label.group(1) if label else child.content)
            role = None
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def markdown_blocks(markdown: str) -> list[tuple[str, str]]:
    """("heading1".."heading6" | "text", plain text) for each heading and paragraph, in order."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    out: list[tuple[str, str]] = []
    for i, token in enumerate(tokens):
        if token.type == "inline" and i and tokens[i - 1].type == "heading_open":
            out.append((f"heading{tokens[i - 1].tag[1]}", _reader_text(token)))
        elif token.type == "inline" and i and tokens[i - 1].type == "paragraph_open":
            out.append(("text", _reader_text(token)))
        elif token.type == "fence" and token.info.strip().strip("{}").split("}")[0] in BLOCKS:
            body = "\n".join(line for line in token.content.splitlines() if not line.startswith(":"))
            out += markdown_blocks(body)  # the text inside an admonition (takeaways, notes)
    return out


def paragraphs(root: Path = ROOT, until: str | None = None) -> list[Paragraph]:
    """Every paragraph of the book's pages with at least MIN_WORDS words, in reading order (with ``until``, a
    page's name such as "your-texts": only the pages before it)."""
    from docutils.nodes import make_id

    found = []
    pages = toc_files(root)
    names = [path.stem for path in pages]
    for path in pages[: names.index(until) if until in names else None]:
        chapter = section = anchor = ""
        for markdown in markdown_of(path):
            for kind, text in markdown_blocks(markdown):
                if kind.startswith("heading"):
                    chapter = chapter or text
                    section, anchor = text, make_id(text)
                elif len(text.split()) >= MIN_WORDS and chapter:
                    href = f"{path.stem}.html" + (f"#{anchor}" if anchor else "")
                    found.append(Paragraph(text[:MAX_CHARS], chapter, section, href))
    return found


def fingerprint(found: list[Paragraph]) -> str:
    """Changes whenever a paragraph, its order or its link does."""
    blob = json.dumps([[p.text, p.href] for p in found], ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
