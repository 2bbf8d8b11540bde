"""The package's import graph (every ``import``/``from … import`` in prioritizer/ and its subpackages, also inside
functions) has no cycles: a cycle makes import order matter and breaks as soon as one edge moves to module
level. Modules are named by their dotted path below ``prioritizer`` (``cli.score``, ``report.view_tables``; a
package by its folder, ``cli`` = ``cli/__init__.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "prioritizer"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``cli/score.py`` → ``cli.score``; ``cli/__init__.py`` → ``cli``; ``views.py`` → ``views``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(name: str, modules: set[str]) -> str | None:
    """The package module a dotted name (without ``prioritizer.``) lands in: itself, or its nearest parent."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(path: Path, modules: set[str], root: Path = PACKAGE) -> set[str]:
    """Package modules that ``path`` imports (absolute or relative, at any depth of the file)."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".") if package else []
                base_parts = base_parts[:len(base_parts) - (node.level - 1)] if node.level > 1 else base_parts
                base = ".".join(["prioritizer", *base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # ``from prioritizer import report`` / ``from prioritizer.report import cards`` import the submodule;
            # ``from prioritizer.report import money`` imports the package (its ``__init__``)
            key = base.removeprefix("prioritizer.") if base.startswith("prioritizer.") else ""
            names = [f"{base}.{a.name}" if f"{key}.{a.name}".lstrip(".") in modules else base for a in node.names]
        else:
            continue
        for n in names:
            if n.startswith("prioritizer."):
                target = _resolve(n.removeprefix("prioritizer."), modules)
                if target is not None:
                    found.add(target)
    return found - {me}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module name (dotted, without ``prioritizer.``) → package modules it imports."""
    files = {module_name(p, root): p for p in root.rglob("*.py") if module_name(p, root)}
    return {name: _imports(path, set(files), root) for name, path in files.items()}


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
    graph = {"cli": {"cli.allocate"}, "cli.allocate": {"cli", "errors"}, "errors": set()}
    assert cycles(graph) == [["cli", "cli.allocate", "cli"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_graph_sees_subpackages_function_level_relative_and_from_package_imports(tmp_path):
    (tmp_path / "cli").mkdir()
    (tmp_path / "report").mkdir()
    (tmp_path / "cli" / "__init__.py").write_text("from prioritizer.cli import score\n")
    (tmp_path / "cli" / "score.py").write_text("def f():\n    from prioritizer import views\n"
                                               "from .common import x\nfrom ..report import cards\n")
    (tmp_path / "cli" / "common.py").write_text("from prioritizer.report.cards import money\n")
    (tmp_path / "report" / "__init__.py").write_text('"""Report."""\n')
    (tmp_path / "report" / "cards.py").write_text("import prioritizer.report\n")
    (tmp_path / "views.py").write_text("from prioritizer.cli.score import f\n")
    graph = import_graph(tmp_path)
    assert graph["cli"] == {"cli.score"}
    assert graph["cli.score"] == {"views", "cli.common", "report.cards"}  # inside a function, relative
    assert graph["cli.common"] == {"report.cards"}
    assert graph["report.cards"] == {"report"}
    assert cycles(graph) == [["cli.score", "views", "cli.score"]]


def test_graph_covers_the_new_packages():
    graph = import_graph()
    assert {"cli", "cli.score", "cli.common", "pipeline", "scenario", "data.edits", "report.view_tables"} <= set(graph)
    assert "cli.allocate" in graph["cli"]
    assert "allocation.solve" in graph["cli.allocate"]
    assert "pipeline" in graph["cli.allocate"]


def test_package_has_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" → ".join(c) for c in found)


def test_package_modules_are_imported_at_module_level():
    """Imports inside functions are for optional heavy third-party packages only, never for package modules
    (a function-level import of a package module hides a cycle until someone moves it up)."""
    late = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.ImportFrom) and (sub.level or (sub.module or "").startswith("prioritizer")):
                        late.append(f"{path.relative_to(PACKAGE)}:{sub.lineno}")
                    if isinstance(sub, ast.Import) and any(a.name.startswith("prioritizer") for a in sub.names):
                        late.append(f"{path.relative_to(PACKAGE)}:{sub.lineno}")
    assert not late, "package modules imported inside functions: " + ", ".join(late)
