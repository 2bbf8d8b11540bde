"""YAML read with hard limits, before any field is touched.

A settings file is small: at most ``MAX_YAML_BYTES`` of text, ``MAX_ALIASES`` alias uses (``*name``),
``MAX_NODES`` values once aliases are expanded, nesting at most ``MAX_DEPTH`` deep. A few-hundred-byte
"billion laughs" alias bomb is refused while it is still a small tree of shared nodes, so it never grows
to gigabytes when a field is turned into text. Every failure is an :class:`InputError` naming the file.
"""

from __future__ import annotations

from typing import Any

import yaml

from prioritizer.errors import InputError

MAX_YAML_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 40


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts alias uses while composing (before any object is built)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _Limit(f"more than {MAX_ALIASES} YAML aliases (*name); settings files do not need them",
                             mark.line + 1)
        return super().compose_node(parent, index)


class _Limit(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def _check_tree(node: yaml.Node) -> None:
    """Count nodes as if aliases were expanded (stopping at MAX_NODES) and check the nesting depth."""
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Limit(f"more than {MAX_NODES:,} values once aliases are expanded (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise _Limit(f"nested more than {MAX_DEPTH} levels deep", current.start_mark.line + 1)
        if isinstance(current, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


def parse_yaml(text: str, label: str, *, syntax_errors: bool = False) -> Any:
    """Parse YAML text within the limits; limit breaches are InputError(file=label), and so are syntax
    errors unless ``syntax_errors`` (then the yaml.YAMLError is re-raised for the caller to word)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise InputError(f"YAML file is larger than {MAX_YAML_BYTES // 1_000_000} MB; a settings file is a few KB",
                         file=label)
    loader = None
    try:
        loader = _LimitedLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node)
        return loader.construct_document(node)
    except _Limit as exc:
        raise InputError(f"refused: {exc.message}", file=label, row=exc.line) from None
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for some malformed scalars
        if syntax_errors and isinstance(exc, yaml.YAMLError):
            raise
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"broken YAML: {problem}", file=label, row=row) from None
    except RecursionError:
        raise InputError(f"refused: nested more than {MAX_DEPTH} levels deep", file=label) from None
    finally:
        if loader is not None:
            loader.dispose()
