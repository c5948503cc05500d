"""Escaped text renders as itself, and escapes only what Markdown would read as markup."""

from __future__ import annotations

import html
import random

import pytest

from helpcenter.markdown import escape_text, render

# Every character Markdown gives a meaning to somewhere, with words, digits and spaces around them.
ALPHABET = list("ab1 .*_-+#>=`[]()!<&;|~\\:/") + ["ab", "12", "  ", "http", "amp;"]


def rendered_as_text(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>\n"


def random_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    while len(lines) < count:
        line = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))).strip()
        if line:
            lines.append(line)
    return lines


def test_any_text_renders_as_itself() -> None:
    wrong = [line for line in random_lines(3000, seed=7) if render(escape_text(line)) != rendered_as_text(line)]
    assert wrong == []


def test_a_line_of_several_renders_as_itself_too() -> None:
    lines = random_lines(2000, seed=11)
    pairs = [f"{a}\n{b}" for a, b in zip(lines[::2], lines[1::2], strict=True)]
    assert [p for p in pairs if render(escape_text(p)) != rendered_as_text(p)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Call +31 20 123.",
        "5 * 3 = 15",
        "Mon-Fri 9-17, 50% off & free returns!",
        "your_order_number (see the e-mail)",
        "C:\\Users",
        "Price: €20 - incl. VAT?",
    ],
)
def test_ordinary_text_is_left_as_typed(text: str) -> None:
    assert escape_text(text) == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("1986. A great year", "1986\\. A great year"),
        ("- not a list", "\\- not a list"),
        ("# not a heading", "\\# not a heading"),
        ("*not bold* and _not italic_", "\\*not bold\\* and \\_not italic\\_"),
        ("[not](a link)", "\\[not](a link)"),
        ("a\\", "a\\\\"),
    ],
)
def test_markup_is_escaped(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped
