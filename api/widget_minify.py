"""The served widget.js is a minified copy of the readable source: made once per process and version.

The widget grew past its 40 KB budget (uncompressed, every visitor's page load fetches it) with the
features of issue 13; minifying at serve time keeps the source readable and needs no build step or Node
toolchain. rjsmin (a small, long-kept C extension) drops comments and whitespace between tokens and
leaves strings and template literals alone; the stylesheet, a template literal, has its runs of
whitespace folded here.

The source is ``widget/src/*.js``: parts of one script, each named for what it holds and none over 400
lines (issue 11), joined in name order inside one function, so they share its closure as the single
file they were split from did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import rjsmin

# The widget's stylesheet: `const STYLE = `...`;` (no backtick or ${} inside but the appearance's colours).
_STYLE = re.compile(r"(const STYLE\s*=\s*`)(.*?)(`;)", re.DOTALL)


def _fold_css(match: re.Match[str]) -> str:
    css = re.sub(r"\s+", " ", match.group(2))
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)  # no space needed around these in CSS
    css = re.sub(r":\s+", ":", css).replace(";}", "}")  # "a: b;}" is "a:b}" (no selector has ": ")
    return match.group(1) + css.strip() + match.group(3)


def joined(parts: Iterable[Path]) -> str:
    """The readable script: the parts, in the order given, as the body of one immediately called function,
    so their names stay private to the widget and shared among the parts (as when they were one file)."""
    texts = (part.read_text(encoding="utf-8") for part in parts)
    # Each part ends its last line, so a closing // comment cannot swallow the next part's first line.
    body = "".join(text if text.endswith("\n") else text + "\n" for text in texts)
    return "(function () {\n" + body + "})();\n"


def minified(source: str) -> str:
    """The script as served: its stylesheet folded, then comments and needless whitespace dropped."""
    return str(rjsmin.jsmin(_STYLE.sub(_fold_css, source, count=1)))
