"""The layout stays readable: small modules, a thin app entry, no hidden imports, and an architecture
document whose module map and settings keys match the code (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from prioritizer.paths import PROJECT_ROOT
from prioritizer.safe_yaml import parse_yaml

MAX_MODULE_LINES = 600
MAX_APP_LINES = 150
OPTIONAL_HEAVY = {"pptx", "vl_convert", "playwright", "highspy", "psycopg"}
"""Modules that may be imported inside a function: heavy or optional, only needed by one action."""
ARCHITECTURE = PROJECT_ROOT / "docs" / "architecture.md"


def _python_files() -> list[Path]:
    return sorted([*(PROJECT_ROOT / "prioritizer").rglob("*.py"), *(PROJECT_ROOT / "ui").rglob("*.py"),
                   PROJECT_ROOT / "app.py"])


def test_no_library_or_ui_module_is_over_the_size_limit() -> None:
    sizes = {p.relative_to(PROJECT_ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in _python_files()}
    too_big = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not too_big, f"modules over {MAX_MODULE_LINES} lines: {too_big}"
    assert sizes["app.py"] < MAX_APP_LINES, f"app.py has {sizes['app.py']} lines; it should be a short entry"


def test_imports_inside_functions_are_only_optional_heavy_ones() -> None:
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] not in OPTIONAL_HEAVY:
                        found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} imports {name}")
    assert not found, "imports inside functions:\n" + "\n".join(found)


def _doc() -> str:
    return ARCHITECTURE.read_text(encoding="utf-8")


def test_every_module_the_architecture_names_exists() -> None:
    named = set(re.findall(r"`((?:prioritizer|ui|benchmarks|tools|tests)/[\w/]+\.(?:py|sh))`", _doc()))
    assert len(named) >= 20, "the module map should name the modules"
    missing = sorted(n for n in named if not (PROJECT_ROOT / n).is_file())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_library_module_is_in_the_architecture() -> None:
    doc = _doc()
    modules = [p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "prioritizer").rglob("*.py")
               if p.name != "__init__.py"]
    absent = sorted(m for m in modules if f"`{m}`" not in doc)
    assert not absent, f"modules missing from docs/architecture.md's module map: {absent}"


def _settings_rows() -> list[tuple[str, list[str]]]:
    """Rows of the "Settings files" table: (`weights/x.yaml`, [top-level keys])."""
    rows = []
    for line in _doc().splitlines():
        m = re.match(r"\|\s*`(weights/[\w.-]+\.yaml)`\s*\|([^|]*)\|", line)
        if m:
            rows.append((m.group(1), re.findall(r"`([\w-]+)`", m.group(2))))
    return rows


def test_settings_keys_the_architecture_names_exist() -> None:
    rows = _settings_rows()
    assert len(rows) >= 4, "the Settings files table should list the settings files and their keys"
    for file, keys in rows:
        raw = parse_yaml((PROJECT_ROOT / file).read_text(encoding="utf-8"), file) or {}
        assert keys, f"{file}: no keys named"
        missing = [k for k in keys if k not in raw]
        assert not missing, f"docs/architecture.md names keys absent from {file}: {missing}"


@pytest.mark.parametrize("folder", ["prioritizer"])
def test_library_never_imports_streamlit(folder: str) -> None:
    offenders = [p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / folder).rglob("*.py")
                 if re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(encoding="utf-8"), re.M)]
    assert not offenders, f"prioritizer/ must be importable without Streamlit: {offenders}"
