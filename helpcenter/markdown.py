"""Markdown to safe HTML: markdown-it-py with raw HTML off, then nh3 as a second line of defence."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "a",
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "s",
    "del",
}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"}, "td": {"style"}}
_URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # js-default: CommonMark without raw HTML, plus tables and strikethrough; linkify off.
    return MarkdownIt("js-default")


# Published article bodies and bot answers are rendered on every view; the same text gives the same
# HTML, so the most recent ones are kept (the cache is keyed by the text itself, never stale).
@lru_cache(maxsize=512)
def render(markdown: str) -> str:
    """Safe HTML for untrusted Markdown: no raw HTML, no script URLs, no event handlers."""
    html = _parser().render(markdown or "")
    # h1 is the page title; demote any in the body so heading order stays right.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def plain_text(markdown: str) -> str:
    """The text of Markdown without markup (for search indexing and snippets)."""
    tokens = _parser().parse(markdown or "")
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            parts.append("".join(_inline_text(child.type, child.content) for child in token.children))
        elif token.type in {"code_block", "fence"}:
            parts.append(token.content)
    return "\n".join(p for p in parts if p)


def sections(markdown: str) -> list[tuple[str, str]]:
    """The text of Markdown cut at its second- and third-level headings: ``(heading, text)`` pairs, the
    first one the lead before any heading (heading ""). Sections without text are left out."""
    out: list[tuple[str, list[str]]] = [("", [])]
    tokens = _parser().parse(markdown or "")
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = token.tag in {"h2", "h3"}
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and token.children:
            text = "".join(_inline_text(child.type, child.content) for child in token.children)
            if in_heading:
                out.append((text, []))
            elif text:
                out[-1][1].append(text)
    return [(heading, "\n".join(parts)) for heading, parts in out if parts]


def _inline_text(kind: str, content: str) -> str:
    if kind in {"text", "code_inline"}:
        return content
    return " " if kind in {"softbreak", "hardbreak"} else ""


# Text that Markdown would read as markup, and nothing else: "Call +31 20 123." or "5 * 3 = 15" stay as
# typed, so an imported article's source reads like the article. At a line's start: headings, list
# markers, quotes, setext underlines and fences. Anywhere: code spans, links, entities, autolinks,
# strikethrough, table pipes, and a backslash that would escape what follows it or break the line.
_LINE_START = re.compile(
    r"(?m)^([ \t]*)(#{1,6}(?=\s|$)|[-+*](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|>|=+(?=[ \t]*$)|-+(?=[ \t]*$))"
)
_ANYWHERE = re.compile(r"[`\[|~]|\\(?=[!-/:-@\[-`{-~]|\n|$)|&(?=#?\w+;)|<(?=[A-Za-z])")
# A "*" or "_" that could open or close emphasis (CommonMark's flanking rules): every one but a "*" between
# spaces and a "_" inside a word ([^\W_] is a letter or digit).
_EMPHASIS = re.compile(r"(?<!\s)\*|\*(?!\s)|(?<![^\W_])_|_(?![^\W_])")


def escape_text(text: str) -> str:
    """``text`` as Markdown that renders as exactly this text."""
    text = _ANYWHERE.sub(lambda m: "\\" + m.group(0), text)
    text = _EMPHASIS.sub(lambda m: "\\" + m.group(0), text)
    return _LINE_START.sub(_escape_marker, text)


def _escape_marker(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if marker[0].isdigit():  # "1986." escapes its dot: the number is not a list item
        return indent + marker + "\\"
    return indent + "\\" + marker
