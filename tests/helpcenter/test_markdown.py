"""Markdown rendering never lets untrusted input run script."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from helpcenter.markdown import plain_text, render, sections

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    '<svg onload="alert(1)">',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


class _Elements(HTMLParser):
    """Collects the real elements and attributes of an HTML fragment (escaped text is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


@pytest.mark.parametrize("payload", XSS)
def test_no_payload_survives_as_markup(payload: str) -> None:
    html = render(f"Hello\n\n{payload}\n\nbye")
    for tag, attrs in elements(html):
        assert tag not in {"script", "iframe", "svg", "div", "object", "embed", "style"}, html
        assert not any(name.startswith("on") for name in attrs), html
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), html


def test_markdown_features_render() -> None:
    html = render(
        "# Title\n\n**bold** and *it*\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[returns](/hc/en/articles/return-an-item) [shop](https://nordkap.example)"
    )
    assert "<h2>Title</h2>" in html  # h1 is reserved for the page title
    assert "<strong>bold</strong>" in html and "<li>two</li>" in html and "<td>2</td>" in html
    assert '<a href="/hc/en/articles/return-an-item"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_plain_text_keeps_words_apart_across_lines() -> None:
    assert plain_text("gratis\nruilen **nu**\n\n- a list") == "gratis ruilen nu\na list"


def test_sections_cut_at_second_and_third_level_headings() -> None:
    text = "Lead **words**.\n\n## First\n\nOne.\n\n- a\n- b\n\n### Deeper\n\nTwo.\n\n## Empty\n\n## Last\nThree."
    assert sections(text) == [("", "Lead words."), ("First", "One.\na\nb"), ("Deeper", "Two."), ("Last", "Three.")]
    assert sections("## Only a heading") == []
