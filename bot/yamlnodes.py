"""YAML parsed into values that remember their line, so validation errors can point at it.

Scalars stay strings: an FAQ example "no" or "on" must not turn into a boolean. ruamel.yaml rather
than PyYAML because it reads YAML 1.2, where ``[How can I pause my subscription?, ...]`` is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode


@dataclass
class MarkedValue:
    """A parsed YAML value (str, list of MarkedValue, or dict of str to MarkedValue) and its line."""

    value: Any
    line: int


class YamlSyntaxError(Exception):
    """The file is not valid YAML (or repeats a key)."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def compose_file(path: Path) -> MarkedValue:
    """Parse a YAML file into marked values (an empty file is an empty mapping)."""
    return compose_text(path.read_text(encoding="utf-8"))


def compose_text(text: str) -> MarkedValue:
    """Parse YAML text into marked values (empty text is an empty mapping)."""
    try:
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
        raise YamlSyntaxError(reason, mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    if node is None:
        return MarkedValue({}, 1)
    return _convert(node)


def load_plain(path: Path) -> Any:
    """Parse a YAML file into plain Python values (for files whose lines we never report)."""
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _convert(node: Node) -> MarkedValue:
    line = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        out: dict[str, MarkedValue] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                raise YamlSyntaxError(f"key '{key}' appears twice in one mapping", key_node.start_mark.line + 1)
            out[key] = _convert(value_node)
        return MarkedValue(out, line)
    if isinstance(node, SequenceNode):
        return MarkedValue([_convert(child) for child in node.value], line)
    if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null", "Null", "NULL"):
        return MarkedValue(None, line)
    return MarkedValue(str(node.value), line)
