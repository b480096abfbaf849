"""The shape of the code: which packages may import which (read from the source with `ast`).

* `board/moderation` never imports a blueprint package that holds content (forum,
  stories, later messages and images): content packages plug in through
  `board.moderation.kinds` and call moderation, never the other way round. The one
  blueprint package it may use is `notifications` (telling a member something),
  which itself imports no other blueprint package.
* No two blueprint packages import each other, directly or through others.
"""
from __future__ import annotations

import ast
from pathlib import Path

BOARD = Path(__file__).resolve().parents[2] / "board"
MODERATION_MAY_IMPORT = {"notifications"}  # a leaf: checked below


def _blueprint_packages() -> set[str]:
    return {p.parent.name for p in BOARD.glob("*/__init__.py") if "Blueprint(" in p.read_text()}


def _imported_modules(path: Path) -> set[str]:
    """Every `board...` module a file imports, at the top or inside functions."""
    package = ".".join(("board", *path.relative_to(BOARD).with_suffix("").parts))
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from board import forum`
    return {n for n in names if n == "board" or n.startswith("board.")}


def package_graph() -> dict[str, set[str]]:
    """Blueprint package → the blueprint packages its modules import."""
    packages = _blueprint_packages()
    graph: dict[str, set[str]] = {p: set() for p in packages}
    for package in packages:
        for path in (BOARD / package).rglob("*.py"):
            for name in _imported_modules(path):
                parts = name.split(".")
                if len(parts) > 1 and parts[1] in packages and parts[1] != package:
                    graph[package].add(parts[1])
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_blueprint_packages_are_found():
    assert {"forum", "stories", "moderation", "notifications"} <= _blueprint_packages()


def test_moderation_imports_no_content_package():
    graph = package_graph()
    assert graph["moderation"] - MODERATION_MAY_IMPORT == set()
    for allowed in MODERATION_MAY_IMPORT:
        assert graph[allowed] == set(), f"{allowed} must stay a leaf for moderation to use it"


def test_no_two_blueprint_packages_import_each_other():
    assert _cycles(package_graph()) == []


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    source = tmp_path / "board" / "moderation" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text("from . import kinds\n\ndef f():\n    from board.forum import services\n")
    global BOARD
    saved, BOARD = BOARD, tmp_path / "board"
    try:
        assert {"board.moderation.kinds", "board.forum", "board.forum.services"} <= _imported_modules(source)
    finally:
        BOARD = saved


def test_a_cycle_is_reported():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
