"""The widget script route (headers that let any site embed it safely) and the demo host page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.routes import widget_pages


def test_widget_script_is_served_with_safe_cache_and_cors_headers(client: TestClient) -> None:
    response = client.get("/widget/v1/widget.js", headers={"Origin": "https://shop.example"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    cache = response.headers["cache-control"]
    match = re.search(r"max-age=(\d+)", cache)
    assert match and 0 < int(match.group(1)) <= 3600, cache  # short: fixes reach customers' sites soon
    assert response.text == widget_pages.widget_source()


def test_widget_script_carries_the_catalogue_strings_of_every_locale(client: TestClient) -> None:
    """The widget keeps no strings of its own: the server writes them in from the one catalogue."""
    assert widget_pages.STRINGS_SLOT in widget_pages.readable_source()
    response = client.get("/widget/v1/widget.js")
    assert widget_pages.STRINGS_SLOT not in response.text
    for text in ("Chatten Sie mit uns", "Chat met ons", "Chat with us"):
        assert json.dumps(text) in response.text
    again = client.get("/widget/v1/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_missing_widget_script_is_a_404_not_a_500(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widget_pages, "WIDGET_SOURCES", widget_pages.WIDGET_DIR / "missing")
    assert client.get("/widget/v1/widget.js").status_code == 404


def test_demo_page_embeds_the_widget_and_links_the_help_center(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html
    assert re.search(r'<script src="/widget/v1/widget\.js"[^>]* defer></script>', html)
    assert 'href="/hc/en/"' in html
    assert 'href="/admin/"' in html
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"


def test_widget_script_inserts_html_only_from_the_server_sanitised_field() -> None:
    """A static guard: one innerHTML assignment, fed by a bot or agent message's `html`; no eval."""
    source = widget_pages.readable_source()
    assignments = re.findall(r"\.(?:innerHTML|outerHTML)\s*=\s*([^;]+);", source)
    assert assignments == ["msg.html"]
    assert "insertAdjacentHTML" not in source and "document.write" not in source
    assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*['\"]", source)
    assert not re.search(r"\.setAttribute\(\s*['\"]on", source), "no inline event handlers"


WIDGET_BUDGET = 40 * 1024  # bytes, uncompressed: every visitor's first page view fetches it (issue 13)


def test_the_served_widget_stays_within_its_size_budget(client: TestClient) -> None:
    served = client.get("/widget/v1/widget.js").content
    assert len(served) <= WIDGET_BUDGET, f"widget.js is served as {len(served)} bytes"
    source = widget_pages.readable_source()
    assert len(served) < len(source.encode("utf-8")) * 0.8  # minified, while the source stays readable


def test_minifying_keeps_strings_template_literals_and_the_stylesheet_working() -> None:
    from api.widget_minify import minified

    source = """
    // a comment
    const STYLE = `
      .a  { color: red;  }
      .b > .c:hover , .d { margin:  0 ; }
    `;
    const text = "keep  //  this";  /* gone */
    const tpl = `x  ${ 1 + 2 }  y`;
    """
    out = minified(source)
    assert "a comment" not in out and "gone" not in out
    assert "const STYLE=`.a{color:red}.b>.c:hover,.d{margin:0}`;" in out
    assert '"keep  //  this"' in out and "`x  ${ 1 + 2 }  y`" in out


def test_the_widget_parts_are_joined_in_name_order_inside_one_function(tmp_path: Path) -> None:
    """The parts share one closure, as the single file did; a part ending in a // comment ends its line."""
    from api.widget_minify import joined

    parts = widget_pages.widget_parts()
    assert [part.name for part in parts] == sorted(part.name for part in parts) and len(parts) > 1
    source = widget_pages.readable_source()
    assert source.startswith("(function () {\n") and source.endswith("})();\n")
    assert source == joined(parts)
    first, second = tmp_path / "00-a.js", tmp_path / "10-b.js"
    first.write_text("let a = 1; // no newline", encoding="utf-8")
    second.write_text("a += 1;\n", encoding="utf-8")
    assert joined([first, second]) == "(function () {\nlet a = 1; // no newline\na += 1;\n})();\n"
