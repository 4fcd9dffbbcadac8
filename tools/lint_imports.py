"""Check the import contracts of book/'s code (pyproject.toml's [tool.importlinter]) with import-linter.

    python tools/lint_imports.py [lint-imports options]        (`make lint` runs it)

The book's code is the package ``explainer`` and the module ``helpers.py`` beside it (with book/ on the path:
how the notebooks run). import-linter reads packages only, so this script builds the graph with grimp for
``explainer``, adds ``helpers`` and its imports of ``explainer``, and hands the graph to import-linter, which
checks the contracts and reports exactly as its own ``lint-imports`` command does. Every import counts, at
any depth: an import inside a function is an import too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
from importlinter.application.app_config import settings
from importlinter.application.ports.building import GraphBuilder
from importlinter.cli import lint_imports_command

BOOK = Path(__file__).resolve().parent.parent / "book"


def book_graph() -> grimp.ImportGraph:
    """``explainer``'s modules and ``helpers``, with every import between them and its line."""
    sys.path.insert(0, str(BOOK))
    graph = grimp.build_graph("explainer", include_external_packages=True, cache_dir=None)
    source = (BOOK / "helpers.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    if "helpers" not in graph.modules:  # grimp adds it (as an outside module) when explainer imports it
        graph.add_module("helpers")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("explainer"):
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
            for target in (t if t in graph.modules else node.module for t in targets):
                graph.add_import(
                    importer="helpers",
                    imported=target,
                    line_number=node.lineno,
                    line_contents=lines[node.lineno - 1].strip(),
                )
    return graph


class BookGraph(GraphBuilder):
    """import-linter's graph builder, for ``explainer`` and ``helpers``."""

    def build(self, *args, **kwargs) -> grimp.ImportGraph:  # root packages, caching: the book is the whole graph
        return book_graph()


if __name__ == "__main__":
    settings.configure(GRAPH_BUILDER=BookGraph())
    lint_imports_command()
