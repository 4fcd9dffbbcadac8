"""Check the import contracts of book/'s modules (pyproject.toml's [tool.importlinter]) with import-linter.

    python tools/lint_imports.py [lint-imports options]        (`make lint` runs it)

import-linter reads packages, and book/'s modules are top-level modules that import each other by name
(``from helpers import embed``, with book/ on the path: how the notebooks run). So this script builds the
import graph itself, names each module ``book.<name>`` (the contracts' names), and hands the graph to
import-linter, which checks the contracts and reports exactly as its own ``lint-imports`` command does.
Every import of one book module by another counts, at any depth: an import inside a function is an
import too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
from importlinter.application.app_config import settings
from importlinter.application.ports.building import GraphBuilder
from importlinter.cli import lint_imports_command

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def imported_names(node: ast.AST) -> list[str]:
    """The top-level module names an import statement brings in (none for other statements)."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module.split(".")[0]]
    return []


def book_graph() -> grimp.ImportGraph:
    """book/'s modules as ``book.<name>``, and every import of one by another, with its line."""
    modules = {path.stem: path for path in sorted(BOOK.glob("*.py"))}
    graph = grimp.ImportGraph()
    graph.add_module("book")
    for name in modules:
        graph.add_module(f"book.{name}")
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            for target in imported_names(node):
                if target in modules and target != name:
                    graph.add_import(
                        importer=f"book.{name}",
                        imported=f"book.{target}",
                        line_number=node.lineno,
                        line_contents=lines[node.lineno - 1].strip(),
                    )
    return graph


class BookGraph(GraphBuilder):
    """import-linter's graph builder, for book/'s flat modules."""

    def build(self, *args, **kwargs) -> grimp.ImportGraph:  # root packages, caching: book/ is the whole graph
        return book_graph()


if __name__ == "__main__":
    settings.configure(GRAPH_BUILDER=BookGraph())
    lint_imports_command()
