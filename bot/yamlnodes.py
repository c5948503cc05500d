"""YAML parsed into values that remember their line, so validation errors can point at it.

Scalars stay strings: an FAQ example "no" or "on" must not turn into a boolean. ruamel.yaml rather
than PyYAML because it reads YAML 1.2, where ``[How can I pause my subscription?, ...]`` is valid.
Editors upload these files, so parsing is bounded (``core.yamlsafe``: nesting depth, alias expansion).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from core.yamlsafe import MAX_DEPTH, YamlSyntaxError, compose, expansion_budget

__all__ = ["MAX_DEPTH", "MarkedValue", "YamlSyntaxError", "compose_file", "compose_text"]


@dataclass
class MarkedValue:
    """A parsed YAML value (str, list of MarkedValue, or dict of str to MarkedValue) and its line."""

    value: Any
    line: int


def compose_file(path: Path) -> MarkedValue:
    """Parse a YAML file into marked values (an empty file is an empty mapping)."""
    return compose_text(path.read_text(encoding="utf-8"))


def compose_text(text: str) -> MarkedValue:
    """Parse YAML text into marked values (empty text is an empty mapping)."""
    node = compose(text)
    if node is None:
        return MarkedValue({}, 1)
    return _convert(node, _Budget(expansion_budget(node)))


class _Budget:
    """How many more values the conversion may produce before the aliases count as a bomb."""

    def __init__(self, values: int) -> None:
        self.left = values

    def spend(self, node: Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise YamlSyntaxError("aliases expand to far more values than the file holds", node.start_mark.line + 1)


def _convert(node: Node, budget: _Budget) -> MarkedValue:
    line = node.start_mark.line + 1
    budget.spend(node)
    if isinstance(node, MappingNode):
        out: dict[str, MarkedValue] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                raise YamlSyntaxError(f"key '{key}' appears twice in one mapping", key_node.start_mark.line + 1)
            out[key] = _convert(value_node, budget)
        return MarkedValue(out, line)
    if isinstance(node, SequenceNode):
        return MarkedValue([_convert(child, budget) for child in node.value], line)
    if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null", "Null", "NULL"):
        return MarkedValue(None, line)
    return MarkedValue(str(node.value), line)
