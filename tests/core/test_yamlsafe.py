"""Bounded YAML: every file a user hands us is parsed with limits on nesting and alias expansion."""

from __future__ import annotations

import datetime
import time

import pytest

from core import yamlsafe
from core.yamlsafe import MAX_DEPTH, YamlSyntaxError


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_front_matter_keeps_its_types() -> None:
    meta = yamlsafe.load("title: Returns\ndraft: true\nweight: 3\ndate: 2024-05-01\ntags: [a, b]\n")
    assert meta == {
        "title": "Returns",
        "draft": True,
        "weight": 3,
        "date": datetime.date(2024, 5, 1),
        "tags": ["a", "b"],
    }
    assert yamlsafe.load("") is None


def test_a_shared_anchor_is_fine_but_a_bomb_is_refused_quickly() -> None:
    assert yamlsafe.load("x: &x {a: 1}\ny: *x\n") == {"x": {"a": 1}, "y": {"a": 1}}
    started = time.perf_counter()
    with pytest.raises(YamlSyntaxError, match="aliases expand"):
        yamlsafe.load(alias_bomb())
    assert time.perf_counter() - started < 5  # 10^9 values were it expanded: hours, not seconds


@pytest.mark.parametrize("text", ["[" * 5000, "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 60))])
def test_deep_nesting_is_a_syntax_error_with_its_line(text: str) -> None:
    with pytest.raises(YamlSyntaxError, match=f"nested more than {MAX_DEPTH} levels") as refused:
        yamlsafe.load(text)
    assert refused.value.line is not None


def test_broken_yaml_says_where() -> None:
    with pytest.raises(YamlSyntaxError) as refused:
        yamlsafe.load("title: [unclosed\nbody: x\n")
    assert refused.value.line == 2 and "flow sequence" in refused.value.reason


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: [1, *a]}\n", "x: 1\nself: &s {again: *s}\n"])
def test_an_alias_inside_its_own_anchor_is_refused(text: str) -> None:
    from bot.yamlnodes import compose_text  # intent files: line-marked values

    for parse in (yamlsafe.load, compose_text):
        with pytest.raises(YamlSyntaxError, match="refers to a node that contains it"):
            parse(text)


def test_aliases_chained_deeper_than_the_bound_are_refused_before_the_stack_runs_out() -> None:
    chain = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 3000)]
    with pytest.raises(YamlSyntaxError, match="levels deep once aliases are followed"):
        yamlsafe.load("\n".join(chain))
    shallow = "\n".join(chain[:10])  # as deep as real files nest: fine
    assert yamlsafe.load(shallow)["a9"] == [[[[[[[[[["x"]]]]]]]]]]
