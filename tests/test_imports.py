"""The package's import graph (every ``import``/``from … import`` in prioritizer/*.py, also inside
functions) has no cycles: a cycle makes import order matter and breaks as soon as one edge moves to
module level."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "prioritizer"


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Package modules that ``path`` imports (absolute or relative, at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "prioritizer" if node.level else (node.module or "")
            if node.level and node.module:
                base = f"prioritizer.{node.module}"
            # ``from prioritizer import report`` imports the submodule ``report``
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("prioritizer.") and n.split(".")[1] in modules}
    return found - {path.stem}


def import_graph() -> dict[str, set[str]]:
    """Module name (without ``prioritizer.``) → package modules it imports."""
    files = {p.stem: p for p in PACKAGE.glob("*.py")}
    return {name: _imports(path, set(files)) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by depth-first search, each once, as a closed path a → … → a."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                key = frozenset(path)
                if key not in seen:
                    seen.add(key)
                    found.append(path + [nxt])
            elif nxt not in path and nxt > path[0]:  # start each cycle at its smallest module
                visit(nxt, path + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    return found


def test_cycle_finder_reports_a_known_cycle():
    graph = {"cli": {"cli_allocation"}, "cli_allocation": {"cli", "errors"}, "errors": set()}
    assert cycles(graph) == [["cli", "cli_allocation", "cli"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_graph_sees_function_level_and_from_package_imports():
    graph = import_graph()
    assert "cli_allocation" in graph["cli"]  # imported inside a function
    assert "allocate" in graph["cli_allocation"]  # ``from prioritizer import allocate as alloc``


def test_package_has_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" → ".join(c) for c in found)
