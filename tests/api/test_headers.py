"""Security headers on every response, a CSP no page breaks, /docs without a CDN, CORS on the public API only."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.headers import PAGE_CSP, RESOURCE_CSP, is_public_api
from core.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"
SHOP = "https://shop.example"
PAGES = ["/", "/hc/en/", "/hc/en/articles/return-an-item", "/hc/de/search?q=Paket", "/hc/en/nowhere", "/docs"]
RESOURCES = ["/api/v1/search?q=return&locale=en", "/healthz", "/widget/v1/widget.js", "/static/hc.css", "/sitemap.xml"]


@pytest.fixture(scope="module")
def cors_client(app_settings: Settings) -> Iterator[TestClient]:
    """The app with a widget origin configured, as a customer's deployment has it."""
    with TestClient(create_app(app_settings.model_copy(update={"cors_origins": [SHOP]}))) as client:
        yield client


def ask_preflight(client: TestClient, path: str, method: str, headers: str) -> Any:
    """What a browser asks before a cross-origin call from the widget origin."""
    asking = {"Origin": SHOP, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
    return client.options(path, headers=asking)


def assert_common_headers(headers: Mapping[str, str], path: str) -> None:
    assert headers["x-content-type-options"] == "nosniff", path
    assert headers["x-frame-options"] == "DENY", path
    assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    assert headers["referrer-policy"], path
    assert "strict-transport-security" not in headers, path  # only in production


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_a_strict_csp_and_refuse_framing(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-type"].startswith("text/html"), path
    assert_common_headers(response.headers, path)
    csp = response.headers["content-security-policy"]
    assert csp == PAGE_CSP
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", RESOURCES)
def test_api_and_files_send_a_csp_that_allows_nothing(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    assert_common_headers(response.headers, path)
    assert response.headers["content-security-policy"] == RESOURCE_CSP


@pytest.mark.parametrize("path", [p for p in PAGES + RESOURCES if p != "/hc/en/nowhere"])
def test_head_answers_like_get_without_the_body(client: TestClient, path: str) -> None:
    # Uptime monitors and link checkers ask with HEAD; FastAPI's GET routes answered it with 405.
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200, path
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"], path
    assert_common_headers(head.headers, path)


def test_head_is_no_way_around_a_routes_methods(client: TestClient) -> None:
    assert client.head("/api/v1/conversations").status_code == 405  # POST only
    assert client.head("/hc/en/nowhere").status_code == 404


def test_errors_and_the_back_office_get_headers_too(client: TestClient) -> None:
    missing = client.get("/api/v1/articles/999999")
    assert missing.status_code == 404
    assert_common_headers(missing.headers, "/api/v1/articles/999999")
    login = client.get("/admin/login")
    assert_common_headers(login.headers, "/admin/login")
    assert login.headers["content-security-policy"] == PAGE_CSP
    assert login.headers["referrer-policy"] == "same-origin"  # the back office keeps its own, stricter one


def test_templates_have_no_inline_script_style_or_event_handler() -> None:
    """A CSP with script-src 'self' and no 'unsafe-inline' style would break these silently."""
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {template}: {tag}"
        assert "<style" not in html, f"inline <style> in {template}"
        assert not re.search(r"\sstyle=", html), f"style attribute in {template}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler in {template}"
        assert "javascript:" not in html, template


def test_table_alignment_is_the_one_inline_style_allowed(client: TestClient) -> None:
    """Markdown tables keep text-align (nh3 allows nothing else); the CSP allows exactly those, by hash."""
    import base64
    import hashlib

    from helpcenter.markdown import render

    html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    styles = set(re.findall(r'style="([^"]*)"', html))
    assert styles == {"text-align:left", "text-align:center", "text-align:right"}
    for style in styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in PAGE_CSP
    assert "'unsafe-hashes'" in PAGE_CSP and "'unsafe-inline'" not in PAGE_CSP


def test_docs_serve_swagger_ui_from_this_installation(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert scripts == ["/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/docs.js"]
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert "http" not in " ".join(scripts + styles)  # nothing from a CDN: the docs work offline
    for url in scripts + styles:
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")  # Swagger UI 5 reads 3.1
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN page is gone, not half-working


def test_production_sends_hsts(app_settings: Settings) -> None:
    production = app_settings.model_copy(update={"env": "production", "cookie_secure": True})
    with TestClient(create_app(production)) as client:
        for path in ("/hc/en/", "/api/v1/categories?locale=en", "/admin/login"):
            assert client.get(path).headers["strict-transport-security"].startswith("max-age=31536000"), path


def test_production_refuses_to_build_the_app_with_insecure_settings(app_settings: Settings) -> None:
    insecure = app_settings.model_copy(update={"env": "production", "cors_origins": ["*"]})
    with pytest.raises(ValueError, match="FAQDESK_COOKIE_SECURE") as refused:
        create_app(insecure)
    assert "FAQDESK_CORS_ORIGINS contains *" in str(refused.value)  # every problem at once


def test_public_api_paths() -> None:
    for path in ("/api/v1/conversations", "/api/v1/conversations/abc/events", "/api/v1/search", "/api/v1/articles"):
        assert is_public_api(path), path
    for path in ("/api/v1/admin", "/api/v1/admin/articles", "/api/v1/admin/metrics", "/admin/", "/docs", "/"):
        assert not is_public_api(path), path
    assert is_public_api("/api/v1/administration")  # only the admin segment itself is private


def test_cors_answers_the_widget_origin_on_the_public_api(cors_client: TestClient) -> None:
    preflight = cors_client.options(
        "/api/v1/conversations",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "access-control-allow-credentials" not in preflight.headers
    search = cors_client.get("/api/v1/search", params={"q": "return", "locale": "en"}, headers={"Origin": SHOP})
    assert search.headers["access-control-allow-origin"] == SHOP
    other = cors_client.get("/api/v1/search", params={"q": "return"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("path", ["/api/v1/admin/articles", "/api/v1/admin/metrics", "/admin/login"])
def test_cors_never_applies_to_admin_routes(cors_client: TestClient, path: str) -> None:
    preflight = cors_client.options(
        path,
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers, path
    assert "access-control-allow-methods" not in preflight.headers, path
    simple = cors_client.get(path, headers={"Origin": SHOP, "Authorization": "Bearer fqd_not-a-token"})
    assert "access-control-allow-origin" not in simple.headers, path
