"""YAML parsed into values that remember their line, so validation errors can point at it.

Scalars stay strings: an FAQ example "no" or "on" must not turn into a boolean. ruamel.yaml rather
than PyYAML because it reads YAML 1.2, where ``[How can I pause my subscription?, ...]`` is valid.

Editors upload these files, so parsing is bounded: nesting deeper than ``MAX_DEPTH`` and aliases that
expand a document far past its written size (a 344-byte "billion laughs" file grows tenfold per level)
are refused as syntax errors instead of eating the CPU or the stack. Flow nesting (``[[[…``) is stopped
in the scanner itself, whose work grows with the square of the open brackets: 1,000 of them cost 2.5 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.scanner import Scanner

MAX_DEPTH = 50  # an intents file nests four levels; a mapping 50 deep is a mistake or an attack
# Aliases may repeat a node (a shared answer, say), but the expanded document may hold at most this many
# times the nodes written, plus a little slack for small files.
MAX_EXPANSION = 10
EXPANSION_SLACK = 10_000


@dataclass
class MarkedValue:
    """A parsed YAML value (str, list of MarkedValue, or dict of str to MarkedValue) and its line."""

    value: Any
    line: int


class YamlSyntaxError(Exception):
    """The file is not valid YAML (or repeats a key)."""

    def __init__(self, reason: str, line: int | None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def compose_file(path: Path) -> MarkedValue:
    """Parse a YAML file into marked values (an empty file is an empty mapping)."""
    return compose_text(path.read_text(encoding="utf-8"))


def compose_text(text: str) -> MarkedValue:
    """Parse YAML text into marked values (empty text is an empty mapping)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _BoundedScanner
    yaml.Composer = _BoundedComposer
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
        raise YamlSyntaxError(reason, mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    if node is None:
        return MarkedValue({}, 1)
    budget = _Budget(MAX_EXPANSION * _distinct_nodes(node) + EXPANSION_SLACK)
    return _convert(node, budget)


def load_plain(path: Path) -> Any:
    """Parse a YAML file into plain Python values (for files whose lines we never report)."""
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


class _BoundedScanner(Scanner):
    """ruamel's scanner keeps a possible simple key per open ``[`` or ``{`` and re-checks all of them for
    each token: refuse the bracket past ``MAX_DEPTH`` before that work grows (the composer's bound comes
    too late, after the scanner has read the whole run of brackets)."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:  # noqa: N803 (ruamel's name)
        if self.flow_level >= MAX_DEPTH:
            mark = self.reader.get_mark()
            raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1, mark.column + 1)
        super().fetch_flow_collection_start(TokenClass, to_push)


class _BoundedComposer(Composer):
    """ruamel's composer recurses once per level: stop at ``MAX_DEPTH`` instead of at Python's stack
    limit (5,000 nested ``[`` cost seconds of CPU before the RecursionError)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_DEPTH:
            mark = self.parser.peek_event().start_mark
            raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Budget:
    """How many more values the conversion may produce before the aliases count as a bomb."""

    def __init__(self, values: int) -> None:
        self.left = values

    def spend(self, node: Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise YamlSyntaxError("aliases expand to far more values than the file holds", node.start_mark.line + 1)


def _distinct_nodes(root: Node) -> int:
    """The nodes as written: an alias points at a node already seen, so each is counted once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return len(seen)


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
