"""YAML parsed with limits: nesting depth and alias expansion, for every file a user can hand us.

Editors upload intent files and operators import help centers, so parsing is bounded: nesting deeper
than ``MAX_DEPTH`` and aliases that expand a document far past its written size (a 344-byte "billion
laughs" file grows tenfold per level) are refused as syntax errors instead of eating the CPU or the
stack. Flow nesting (``[[[…``) is stopped in the scanner itself, whose work grows with the square of the
open brackets: 1,000 of them cost 2.5 s. ``bot.yamlnodes`` builds line-marked values on ``compose``;
``load`` gives plain Python values (front matter, ``categories.yaml``).
"""

from __future__ import annotations

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


class YamlSyntaxError(Exception):
    """The text is not valid YAML, nests too deep, expands too far (or repeats a key)."""

    def __init__(self, reason: str, line: int | None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def bounded_yaml() -> YAML:
    """A safe, pure-Python YAML 1.2 reader whose scanner and composer stop at ``MAX_DEPTH``."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _BoundedScanner
    yaml.Composer = _BoundedComposer
    return yaml


def compose(text: str, yaml: YAML | None = None) -> Node | None:
    """The document's node tree (None for empty text), depth-bounded also once aliases are followed;
    errors as ``YamlSyntaxError``."""
    try:
        root = (yaml or bounded_yaml()).compose(text)
        if root is not None:
            _expanded_height(root, 1, {}, set())
        return root
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
        raise YamlSyntaxError(reason, mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None


def expansion_budget(root: Node) -> int:
    """How many values the document may expand to: a multiple of the nodes as written."""
    return MAX_EXPANSION * _distinct_nodes(root) + EXPANSION_SLACK


def load(text: str) -> Any:
    """Plain Python values of a YAML document (None for empty text), bounded like ``compose``."""
    yaml = bounded_yaml()
    node = compose(text, yaml)
    if node is None:
        return None
    if _expanded_size(node, {}) > expansion_budget(node):
        raise YamlSyntaxError("aliases expand to far more values than the file holds", node.start_mark.line + 1)
    try:
        return yaml.constructor.construct_document(node)
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None


def _expanded_height(node: Node, depth: int, heights: dict[int, int], open_nodes: set[int]) -> int:
    """How many levels ``node`` spans once aliases are followed, refusing a document deeper than
    ``MAX_DEPTH`` that way: an alias of a node that holds it (``a: &a [*a]``) nests forever, and a chain of
    aliases each one level deeper than the last nests as deep as the chain is long, past Python's stack.
    Each node is measured once; the recursion stops at ``MAX_DEPTH``."""
    key, line = id(node), node.start_mark.line + 1
    too_deep = YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep once aliases are followed", line)
    if key in open_nodes:
        raise YamlSyntaxError("an alias refers to a node that contains it", line)
    if key not in heights:
        if depth > MAX_DEPTH:
            raise too_deep
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        open_nodes.add(key)
        heights[key] = 1 + max((_expanded_height(c, depth + 1, heights, open_nodes) for c in children), default=0)
        open_nodes.discard(key)
    if depth - 1 + heights[key] > MAX_DEPTH:
        raise too_deep
    return heights[key]


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """The values ``node`` stands for once every alias is expanded (each node computed once)."""
    if id(node) not in sizes:
        sizes[id(node)] = 0  # a recursive alias counts as nothing more, not as a loop
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[id(node)]


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
