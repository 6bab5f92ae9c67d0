"""The package's import graph: no cycle (type-only imports counted) and no import upward.

The layers, from the ground up, are those of ARCHITECTURE.md and of the import-linter
``layers`` contract in pyproject.toml (``lint-imports`` checks it in CI); this test
builds the graph with grimp itself so that a cycle inside one layer is caught too.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "eventstudy"
MAX_LINES = 400
MAX_TOP_LEVEL = 10


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        "eventstudy", include_external_packages=False, exclude_type_checking_imports=False
    )


def _layers() -> list[list[str]]:
    """The layers contract of pyproject.toml, lowest first, each as its module names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    return [[m.strip() for m in layer.split("|")] for layer in reversed(contract["layers"])]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i != "eventstudy")
        for m in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    class Planted:
        modules = {"a", "b", "c", "d"}

        @staticmethod
        def find_modules_directly_imported_by(m: str) -> set[str]:
            return {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}[m]

    assert _cycles(Planted()) == [["a", "b", "c"]]  # type: ignore[arg-type]


def test_no_import_cycle_even_through_type_checking_imports() -> None:
    assert _cycles(_graph()) == []


def test_no_module_imports_a_higher_layer() -> None:
    graph = _graph()
    layers = _layers()

    def level(module: str) -> int | None:
        for k, layer in enumerate(layers):
            if any(module == m or module.startswith(m + ".") for m in layer):
                return k
        return None

    upward = []
    for module in graph.modules:
        here = level(module)
        for imported in graph.find_modules_directly_imported_by(module):
            there = level(imported)
            if here is not None and there is not None and there > here:
                upward.append(f"{module} -> {imported}")
    assert upward == []


def test_every_module_belongs_to_a_layer_or_is_the_package_face() -> None:
    layered = {m for layer in _layers() for m in layer}
    tops = {m for m in _graph().modules if m.count(".") == 1}
    assert tops - layered <= {"eventstudy.__main__"}


def test_few_top_level_modules_and_none_over_400_lines() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
