"""Markdown to safe HTML: markdown-it-py with raw HTML off, then nh3 as a second line of defence."""

from __future__ import annotations

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
