"""Public help-center pages and search API over the demo content (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot import runtime
from core.db import make_engine, session_scope
from core.settings import Settings
from helpcenter import content, service
from migrations import upgrade
from tests.helpcenter.conftest import ARTICLES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("app")
    settings = Settings(data_dir=folder / "var", database_url=f"sqlite:///{folder / 'hc.db'}", _env_file=None)  # type: ignore[call-arg]
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        content.load_folder(session, folder=ARTICLES)
        article, _ = service.find_published(session, locale="en", slug="newsletter")
        assert article is not None
        service.update_article(session, article=article, author="ed", slug="newsletter-and-emails")
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


class Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "link":
            self.links.append(dict(attrs))


def parse(html: str) -> Headings:
    parser = Headings()
    parser.feed(html)
    return parser


def test_home_lists_categories_in_the_locale(client: TestClient) -> None:
    page = client.get("/hc/de/")
    assert page.status_code == 200
    assert "Rücksendung und Erstattung" in page.text and 'lang="de"' in page.text
    tags = parse(page.text).tags
    assert tags.count("h1") == 1 and "main" in tags and "header" in tags


def test_article_page_with_breadcrumbs_translations_and_canonical(client: TestClient) -> None:
    page = client.get("/hc/en/articles/return-an-item")
    assert page.status_code == 200
    doc = parse(page.text)
    assert doc.tags.count("h1") == 1 and "h1" not in doc.tags[doc.tags.index("article") + 2 :]
    rels = {(link.get("rel"), link.get("hreflang")): link.get("href") for link in doc.links}
    assert rels[("canonical", None)] == "/hc/en/articles/return-an-item"
    assert rels[("alternate", "de")] == "/hc/de/articles/return-an-item"
    assert 'aria-label="Breadcrumb"' in page.text


def test_renamed_slug_redirects_and_unknown_gets_a_helpful_404(client: TestClient) -> None:
    moved = client.get("/hc/en/articles/newsletter", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/hc/en/articles/newsletter-and-emails"
    missing = client.get("/hc/nl/articles/does-not-exist")
    assert missing.status_code == 404 and "/hc/nl/" in missing.text and "does not exist" in missing.text
    assert client.get("/hc/fr/").status_code == 404


def test_search_page_escapes_the_query_and_finds_inflected_forms(client: TestClient) -> None:
    page = client.get("/hc/de/search", params={"q": "Rücksendungen"})
    assert page.status_code == 200 and "/hc/de/articles/return-an-item" in page.text
    xss = client.get("/hc/en/search", params={"q": '<script>alert(1)</script>"><img src=x onerror=alert(1)>'})
    assert xss.status_code == 200
    assert "<script>alert(1)" not in xss.text and "<img src=x" not in xss.text
    assert "&lt;script&gt;" in xss.text


def test_search_api(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "wachtwoord vergeten", "locale": "nl"})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["slug"] == "resetting-your-password" and first["url"] == "/hc/nl/articles/resetting-your-password"
    bad = client.get("/api/v1/search", params={"q": "", "locale": "nl"})
    assert bad.status_code == 422 and set(bad.json()) == {"error", "detail"}
    assert client.get("/api/v1/search", params={"q": "x", "locale": "xx"}).status_code == 404


def test_sitemap_lists_articles_with_hreflang_alternates(client: TestClient) -> None:
    import xml.etree.ElementTree as ET

    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = ET.fromstring(response.content).findall("s:url", ns)
    assert len(urls) >= 100
    by_loc = {u.findtext("s:loc", namespaces=ns): u for u in urls}
    entry = by_loc["http://testserver/hc/de/articles/return-an-item"]
    langs = {link.get("hreflang") for link in entry.findall("x:link", ns)}
    assert langs == {"en", "de", "nl"}


def test_health_and_readiness(client: TestClient, app_settings: Settings) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and "no trained model" in not_ready.json()["detail"]
    runtime.train_and_activate(app_settings, FIXTURES / "mini_faq.yaml")
    with TestClient(create_app(app_settings)) as fresh:
        assert fresh.get("/readyz").json()["status"] == "ok"
