"""The packages' import graph: no import circle anywhere, and each layer imports only the layers below it.

Imports are read with ``ast`` from the source, at module level and inside functions alike, so an import
made late to hide a circle counts the same as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "bot", "helpcenter", "support", "api", "faqdesk")

# api → support → {bot, helpcenter} → core (docs/architecture.md); faqdesk, the command line, sits on top.
MAY_IMPORT = {
    "core": {"core"},
    "bot": {"bot", "core"},
    "helpcenter": {"helpcenter", "core"},
    "support": {"support", "bot", "helpcenter", "core"},
    "api": {"api", "support", "bot", "helpcenter", "core"},
    "faqdesk": set(PACKAGES),
}
# bot/ decides without the web or a database: of our code it takes settings, text handling and bounded YAML only.
BOT_MAY_IMPORT_FROM_CORE = {"core.settings", "core.text", "core.words", "core.yamlsafe"}
WEB_AND_DATABASE = {
    "fastapi", "starlette", "uvicorn", "jinja2", "httpx", "sqlalchemy", "sqlmodel", "psycopg", "alembic"
}  # fmt: skip


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            parts = list(file.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = file
    return modules


MODULES = _modules()


def _imports(module: str) -> Iterator[str]:
    """Every name a module imports, anywhere in it: ``pkg.mod`` for a module, else the module imported from."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        targets = set()
        for name in _imports(module):
            # The deepest of our modules the name points into (``from a.b import c`` where c is not a module).
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def _top(name: str) -> str:
    return name.split(".")[0]


def test_the_graph_is_read_from_every_package() -> None:
    graph = _graph()
    assert {_top(m) for m in graph} == set(PACKAGES)
    assert "support.intents" in graph["support.review"]  # a function-level or top-level edge is seen


def test_the_cycle_finder_finds_a_circle_hidden_anywhere() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    assert _cycles(_graph()) == []


def test_each_layer_imports_only_the_layers_below() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if _top(target) not in MAY_IMPORT[_top(module)]
    ]
    assert upward == []


def test_bot_imports_no_web_or_database_code() -> None:
    wrong = []
    for module in (m for m in MODULES if _top(m) == "bot"):
        for name in _imports(module):
            if _top(name) in WEB_AND_DATABASE:
                wrong.append(f"{module} imports {name}")
            elif _top(name) == "core" and not any(
                name == allowed or name.startswith(f"{allowed}.") for allowed in BOT_MAY_IMPORT_FROM_CORE
            ):
                wrong.append(f"{module} imports {name}")
    assert wrong == []


MAX_LINES = 400  # past this a module holds several concepts: split it by what each part is about


def test_no_product_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_widget_script_part_is_over_400_lines() -> None:
    """The widget is product code too: its parts (widget/src, joined when served) follow the same bar."""
    parts = sorted((ROOT / "widget").rglob("*.js"))
    assert parts, "the widget's script is missing"
    long = {
        str(path.relative_to(ROOT)): n
        for path in parts
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
