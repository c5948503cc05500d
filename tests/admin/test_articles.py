"""The editor's work end to end: draft, preview, publish, rename, revisions, translations, schedule; XSS."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import Role
from core.db import Bind, session_scope
from helpcenter import articles
from helpcenter.models import Article, Category
from tests.admin.conftest import csrf_token

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Elements(HTMLParser):
    """Collects start tags with their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def scripts(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == "script"]

    def has_event_handler(self) -> bool:
        return any(name.startswith("on") for _, attrs in self.tags for name in attrs)


def _create(client: TestClient, **form: str) -> int:
    data = {"locale": "en", "body": "", "csrf_token": csrf_token(client, "/admin/articles/new")} | form
    response = client.post("/admin/articles", data=data)
    assert response.status_code == 303, response.text
    match = re.match(r"/admin/articles/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def _post(client: TestClient, path: str, **form: str) -> int:
    return client.post(path, data=form | {"csrf_token": csrf_token(client, "/admin/")}).status_code


def test_draft_publish_rename_and_restore(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    editor = as_role(Role.editor)
    article_id = _create(editor, title="Gift wrapping", body="We wrap gifts for **free**.", tags="gifts")
    assert app_client.get("/hc/en/articles/gift-wrapping").status_code == 404  # drafts are not public
    assert _post(editor, f"/admin/articles/{article_id}/status", action="publish") == 303
    assert "wrap gifts" in app_client.get("/hc/en/articles/gift-wrapping").text

    form = {"title": "Gift wrapping", "slug": "gift-wrap", "body": "We wrap gifts for 2 euros.", "tags": "gifts"}
    assert _post(editor, f"/admin/articles/{article_id}", **form) == 303
    moved = app_client.get("/hc/en/articles/gift-wrapping")
    assert moved.status_code == 301 and moved.headers["location"] == "/hc/en/articles/gift-wrap"

    history = editor.get(f"/admin/articles/{article_id}/revisions")
    assert "<ins>+We wrap gifts for 2 euros.</ins>" in history.text
    assert "<del>-We wrap gifts for **free**.</del>" in history.text
    assert _post(editor, f"/admin/articles/{article_id}/revisions/1/restore") == 303
    assert "for **free**" in editor.get(f"/admin/articles/{article_id}").text
    assert "wrap gifts for" in app_client.get("/hc/en/articles/gift-wrap").text
    revisions = editor.get(f"/admin/articles/{article_id}/revisions").text
    assert re.search(r"<td>3</td><td>Gift wrapping</td><td>editor@example.com</td>", revisions)


def test_list_filters_by_status_locale_and_missing_translation(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    article_id = _create(editor, title="Only in English", body="x")
    drafts = editor.get("/admin/articles", params={"status": "draft", "locale": "en"}).text
    assert "Only in English" in drafts and "Tracking your order" not in drafts
    missing_de = editor.get("/admin/articles", params={"missing": "de", "locale": "en"}).text
    assert "Only in English" in missing_de
    assert f"/admin/articles/new?translation_of={article_id}&amp;locale=de" in missing_de
    assert "Tracking your order" not in missing_de  # the demo articles exist in every locale
    assert "<p>1 article</p>" in editor.get("/admin/articles", params={"q": "only in english"}).text
    bogus = editor.get("/admin/articles", params={"status": "bogus"})
    assert bogus.status_code == 422 and "unknown status" in bogus.text
    assert editor.get("/admin/articles", params={"status": "", "locale": "", "category": ""}).status_code == 200


def test_translation_opens_side_by_side_and_joins_the_group(
    as_role: Callable[[Role], TestClient], app_client: TestClient
) -> None:
    editor = as_role(Role.editor)
    source_id = _create(editor, title="Store opening hours", body="Open **9 to 5**.", tags="store")
    page = editor.get("/admin/articles/new", params={"translation_of": source_id, "locale": "de"})
    assert page.status_code == 200
    assert "Source (en): Store opening hours" in page.text and "<strong>9 to 5</strong>" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    data = {
        "title": "Öffnungszeiten",
        "locale": "de",
        "body": "Geöffnet 9 bis 17 Uhr.",
        "translation_of": str(source_id),
    }
    created = editor.post("/admin/articles", data=data | {"csrf_token": token.group(1)})
    assert created.status_code == 303
    german_id = int(created.headers["location"].split("/")[3].split("?")[0])
    for article_id in (source_id, german_id):
        assert _post(editor, f"/admin/articles/{article_id}/status", action="publish") == 303
    # The public pages now link the two versions to each other.
    english = app_client.get("/hc/en/articles/store-opening-hours").text
    assert 'hreflang="de"' in english and "/hc/de/articles/offnungszeiten" in english
    # Asking to translate again opens the existing translation instead of a duplicate.
    again = editor.get("/admin/articles/new", params={"translation_of": source_id, "locale": "de"})
    assert again.status_code == 303 and again.headers["location"] == f"/admin/articles/{german_id}?source={source_id}"


def test_scheduled_publication(as_role: Callable[[Role], TestClient], app_client: TestClient, db_bind: Bind) -> None:
    editor = as_role(Role.editor)
    article_id = _create(editor, title="Winter sale", body="Soon.")
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    # The browser in UTC+1 sends getTimezoneOffset() = -60: 2 hours ahead locally is 1 hour ahead in UTC.
    status = _post(editor, f"/admin/articles/{article_id}/status", action="schedule", publish_at=soon, tz_offset="-60")
    assert status == 303
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert _post(editor, f"/admin/articles/{article_id}/status", action="schedule", publish_at=past) == 422
    assert app_client.get("/hc/en/articles/winter-sale").status_code == 404
    with session_scope(db_bind) as session:
        assert articles.publish_due(session, now=datetime.now(UTC) + timedelta(minutes=30)) == 0
        assert articles.publish_due(session, now=datetime.now(UTC) + timedelta(minutes=61)) >= 1
    assert app_client.get("/hc/en/articles/winter-sale").status_code == 200
    # Live now: scheduling it again would take it offline until then. Refused, and not offered.
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    assert _post(editor, f"/admin/articles/{article_id}/status", action="schedule", publish_at=later) == 422
    assert app_client.get("/hc/en/articles/winter-sale").status_code == 200
    assert 'value="schedule"' not in editor.get(f"/admin/articles/{article_id}").text
    far_east = _post(editor, f"/admin/articles/{article_id}/status", action="unpublish", tz_offset="999")
    assert far_east == 422  # no time zone is 16.6 hours from UTC


def test_preview_renders_markdown_and_strips_script(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    response = editor.post(
        "/admin/preview",
        data={"body": f"# Hi\n\n{XSS}\n\n[x](javascript:alert(1))", "csrf_token": csrf_token(editor, "/admin/")},
    )
    assert response.status_code == 200
    assert "<h2>Hi</h2>" in response.text  # headings start below the page's own h1
    parsed = Elements(response.text)
    assert not parsed.scripts() and not parsed.has_event_handler()
    assert not [a for tag, a in parsed.tags if tag == "a" and "javascript" in (a.get("href") or "")]


def test_xss_in_title_body_tags_and_slug_never_reaches_pages_as_html(
    as_role: Callable[[Role], TestClient], app_client: TestClient
) -> None:
    editor = as_role(Role.editor)
    article_id = _create(editor, title=f"Hacked {XSS}", body=f"Body {XSS}", tags=XSS, slug="hacked")
    assert _post(editor, f"/admin/articles/{article_id}/status", action="publish") == 303
    pages = [
        editor.get(f"/admin/articles/{article_id}").text,
        editor.get("/admin/articles").text,
        editor.get(f"/admin/articles/{article_id}/revisions").text,
        app_client.get("/hc/en/articles/hacked").text,
        app_client.get("/hc/en/search", params={"q": "hacked"}).text,
    ]
    for html in pages:
        parsed = Elements(html)
        assert all(s.get("src") for s in parsed.scripts()), "only external scripts of our own"
        assert not parsed.has_event_handler()
        assert "&lt;script&gt;" in html or "alert" not in html

    bad_slug = editor.post(
        "/admin/articles",
        data={
            "title": "Slug test",
            "locale": "en",
            "slug": '"><script>alert(1)</script>',
            "csrf_token": csrf_token(editor, "/admin/"),
        },
    )
    assert bad_slug.status_code == 422 and "invalid slug" in bad_slug.text
    assert not Elements(bad_slug.text).has_event_handler()
    assert all(s.get("src") for s in Elements(bad_slug.text).scripts())


def test_admin_pages_forbid_inline_script_and_framing(as_role: Callable[[Role], TestClient]) -> None:
    response = as_role(Role.editor).get("/admin/articles")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"


def test_bad_input_gets_a_page_not_a_500(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    assert editor.get("/admin/articles/999999").status_code == 404
    form = {"title": "", "locale": "en", "body": "Keep *this* text", "csrf_token": csrf_token(editor, "/admin/")}
    response = editor.post("/admin/articles", data=form)
    assert response.status_code == 422 and "needs a title" in response.text
    assert ">Keep *this* text</textarea>" in response.text, "the editor's text must survive the error"
    response = editor.post(
        "/admin/articles", data={"title": "x", "locale": "xx", "csrf_token": csrf_token(editor, "/admin/")}
    )
    assert response.status_code == 422 and "unknown locale" in response.text
    response = editor.post(
        "/admin/articles/1/status", data={"action": "explode", "csrf_token": csrf_token(editor, "/admin/")}
    )
    assert response.status_code == 422 and "<html" in response.text


def test_an_article_can_be_taken_out_of_its_category(as_role: Callable[[Role], TestClient], db_bind: Bind) -> None:
    with session_scope(db_bind) as session:
        category = session.exec(select(Category)).first()
        assert category is not None and category.id is not None
        category_id = category.id
    editor = as_role(Role.editor)
    article_id = _create(editor, title="Gift boxes", category_id=str(category_id))
    form = {"title": "Gift boxes", "body": "", "category_id": ""}  # "none" in the form
    assert _post(editor, f"/admin/articles/{article_id}", **form) == 303
    with session_scope(db_bind) as session:
        saved = session.get(Article, article_id)
        assert saved is not None and saved.category_id is None  # it said "Saved." and kept the category
        articles.update_article(session, article=saved, author="e", title="Gift boxes and bags")
        assert saved.category_id is None and saved.title == "Gift boxes and bags"  # left out: left alone
        articles.update_article(session, article=saved, author="e", category_id=category_id)
        assert saved.category_id == category_id


def test_the_articles_list_search_takes_percent_and_underscore_literally(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    _create(editor, title="50% off_season sale")
    listing = editor.get("/admin/articles", params={"q": "%"})
    assert listing.status_code == 200 and "50% off_season sale" in listing.text
    assert "Tracking your order" not in listing.text  # "%" was a wildcard: every article matched
    assert "50% off_season sale" in editor.get("/admin/articles", params={"q": "off_s"}).text
    assert "Tracking your order" not in editor.get("/admin/articles", params={"q": "_"}).text


def test_the_articles_list_search_folds_the_case_of_any_letter(as_role: Callable[[Role], TestClient]) -> None:
    """On SQLite lower() folded ASCII only: "über" missed "Über uns" and "ÖFFNUNGSZEITEN" missed its article."""
    editor = as_role(Role.editor)
    _create(editor, title="Über die Öffnungszeiten im Winter")
    for typed in ("über die", "ÖFFNUNGSZEITEN", "öffnungszeiten"):
        assert "Über die Öffnungszeiten im Winter" in editor.get("/admin/articles", params={"q": typed}).text, typed
