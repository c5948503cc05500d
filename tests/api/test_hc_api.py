"""Public JSON API of the help center (articles, categories, votes) and the read services behind it."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.errors import NotFoundError
from helpcenter import articles, categories, public
from helpcenter.models import Article, ArticleStatus, ArticleVote


def _article(db: Session, locale: str, slug: str) -> Article:
    article = db.exec(select(Article).where(Article.locale == locale, Article.slug == slug)).one()
    return article


def _draft(db: Session) -> Article:
    return _article(db, "en", "secret-draft")


# --- articles ---------------------------------------------------------------------------------------


def test_list_articles_of_a_locale_and_category(client: TestClient) -> None:
    response = client.get("/api/v1/articles", params={"locale": "de", "category": "returns-and-refunds"})
    assert response.status_code == 200
    items = response.json()
    assert len(items) >= 3
    for item in items:
        assert set(item) == {"id", "slug", "locale", "title", "category", "tags", "updated_at", "url"}
        assert item["locale"] == "de" and item["category"] == "returns-and-refunds"
        assert item["url"] == f"/hc/de/articles/{item['slug']}"
        assert datetime.fromisoformat(item["updated_at"]).tzinfo is not None
    assert "return-an-item" in {i["slug"] for i in items}


def test_list_articles_pages_through_published_articles_only(client: TestClient, db: Session) -> None:
    everything = client.get("/api/v1/articles", params={"limit": 100}).json()
    published = db.exec(select(Article).where(Article.status == ArticleStatus.published)).all()
    assert len(everything) == min(100, len(published))
    assert {i["locale"] for i in everything} >= {"de", "en"}
    assert _draft(db).id not in {i["id"] for i in everything}
    first = client.get("/api/v1/articles", params={"locale": "en", "limit": 5}).json()
    second = client.get("/api/v1/articles", params={"locale": "en", "limit": 5, "offset": 5}).json()
    both = client.get("/api/v1/articles", params={"locale": "en", "limit": 10}).json()
    assert [i["id"] for i in first + second] == [i["id"] for i in both] and len(both) == 10


def test_popular_articles_put_the_most_read_first(client: TestClient, db: Session) -> None:
    by_position = client.get("/api/v1/articles", params={"locale": "en", "limit": 5}).json()
    read_most = db.get(Article, by_position[-1]["id"])
    assert read_most is not None
    views = read_most.views
    read_most.views = max(a.views for a in db.exec(select(Article)).all()) + 1000
    db.commit()
    try:
        popular = client.get("/api/v1/articles", params={"locale": "en", "sort": "popular", "limit": 5}).json()
        assert popular[0]["id"] == read_most.id and len(popular) == 5
        assert {i["locale"] for i in popular} == {"en"}
    finally:
        read_most.views = views
        db.commit()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"offset": -1}, 422),
        ({"limit": "many"}, 422),
        ({"locale": "xx"}, 404),
        ({"category": "no-such-category"}, 404),
        ({"sort": "views", "locale": "en"}, 422),
    ],
)
def test_list_articles_rejects_bad_parameters(client: TestClient, params: dict[str, object], status: int) -> None:
    response = client.get("/api/v1/articles", params=params)
    assert response.status_code == status
    assert set(response.json()) == {"error", "detail"}


def test_get_article_with_body_and_sanitised_html(client: TestClient, db: Session) -> None:
    article = _article(db, "nl", "return-an-item")
    response = client.get(f"/api/v1/articles/{article.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == article.id and body["body"] == article.body and body["category"] == "returns-and-refunds"
    assert body["html"].startswith("<p>") and "<h2>" in body["html"]


def test_get_article_hides_drafts_and_sanitises_html(client: TestClient, db: Session) -> None:
    draft = _draft(db)
    for path in (f"/api/v1/articles/{draft.id}", "/api/v1/articles/999999"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert client.get("/api/v1/articles/abc").status_code == 422
    evil = _article(db, "en", "gift-cards")
    original = evil.body
    evil.body = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    db.add(evil)
    db.commit()
    try:
        html = client.get(f"/api/v1/articles/{evil.id}").json()["html"]
        assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    finally:
        evil.body = original
        db.add(evil)
        db.commit()


# --- categories -------------------------------------------------------------------------------------


def test_categories_in_a_locale_with_article_counts(client: TestClient) -> None:
    response = client.get("/api/v1/categories", params={"locale": "nl"})
    assert response.status_code == 200
    categories = response.json()
    assert categories[0] == {
        "slug": "orders-and-delivery",
        "name": "Bestellen en bezorging",
        "description": "Track & trace, levertijden en kosten, afhaalpunten en je bestelling wijzigen.",
        "article_count": categories[0]["article_count"],
    }
    for category in categories:
        listed = client.get("/api/v1/articles", params={"locale": "nl", "category": category["slug"], "limit": 100})
        assert category["article_count"] == len(listed.json())
    gear = next(c for c in categories if c["slug"] == "gear-guides")
    assert gear == {"slug": "gear-guides", "name": "gear-guides", "description": "", "article_count": 0}
    assert client.get("/api/v1/categories", params={"locale": "xx"}).status_code == 404
    assert client.get("/api/v1/categories").status_code == 422


# --- votes ------------------------------------------------------------------------------------------


def test_vote_on_a_published_article(client: TestClient, db: Session) -> None:
    article = _article(db, "de", "payment-methods")
    payload = '<script>alert("x")</script>'
    response = client.post(f"/api/v1/articles/{article.id}/votes", json={"helpful": False, "comment": payload})
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "helpful"} and created["helpful"] is False
    stored = db.get(ArticleVote, created["id"])
    assert stored is not None and stored.article_id == article.id and stored.comment == payload
    plain = client.post(f"/api/v1/articles/{article.id}/votes", json={"helpful": True})
    assert plain.status_code == 201 and plain.json()["helpful"] is True


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"helpful": "yes"},
        {"helpful": 1},
        {"helpful": None},
        {"helpful": True, "comment": "x" * 2001},
        {"helpful": True, "rating": 5},
        [],
    ],
)
def test_vote_rejects_bad_bodies(client: TestClient, db: Session, body: object) -> None:
    article = _article(db, "en", "payment-methods")
    response = client.post(f"/api/v1/articles/{article.id}/votes", json=body)
    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


def test_vote_on_drafts_or_missing_articles_is_not_found(client: TestClient, db: Session) -> None:
    for article_id in (_draft(db).id, 999999):
        response = client.post(f"/api/v1/articles/{article_id}/votes", json={"helpful": True})
        assert response.status_code == 404 and set(response.json()) == {"error", "detail"}


def test_openapi_documents_the_public_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"VoteIn", "VoteOut", "ArticleSummary", "ArticleDetail", "CategoryOut", "ArticleHit"} <= set(schemas)
    vote = spec["paths"]["/api/v1/articles/{article_id}/votes"]["post"]
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert "201" in vote["responses"] and vote["responses"]["4XX"]["content"]["application/json"]["schema"] == error
    assert "HTTPValidationError" not in schemas  # the error shape documented is the one sent
    assert {p["name"]: p["schema"].get("maximum") for p in vote["parameters"]} == {"article_id": 2**31 - 1}
    assert schemas["VoteIn"]["properties"]["comment"]["anyOf"][0]["maxLength"] == 2000
    assert {"/api/v1/articles", "/api/v1/articles/{article_id}", "/api/v1/categories"} <= set(spec["paths"])
    assert not any(path.startswith("/hc/") for path in spec["paths"])


# --- the read services, on SQLite and PostgreSQL ----------------------------------------------------


def _seed(session: Session) -> tuple[int, int]:
    tents = categories.create_category(session, slug="tents", names={"en": "Tents"})
    other = categories.create_category(session, slug="boots", names={"en": "Boots"})
    assert tents.id is not None and other.id is not None
    published = ArticleStatus.published
    for title, position in (("Pitching", 2), ("Choosing", 1), ("Airing", 2)):
        articles.create_article(
            session,
            locale="en",
            title=title,
            body="b",
            author="a",
            category_id=tents.id,
            position=position,
            status=published,
        )
    articles.create_article(session, locale="en", title="Drafty", body="b", author="a", category_id=tents.id)
    articles.create_article(
        session, locale="de", title="Zelte", body="b", author="a", category_id=tents.id, status=published
    )
    articles.create_article(
        session, locale="en", title="Laces", body="b", author="a", category_id=other.id, status=published
    )
    articles.create_article(session, locale="en", title="Loose", body="b", author="a", status=published)
    return tents.id, other.id


def test_read_services(session: Session) -> None:
    tents, boots = _seed(session)
    in_tents = public.articles_in_category(session, locale="en", category_id=tents)
    assert [a.title for a in in_tents] == ["Choosing", "Airing", "Pitching"]
    assert public.published_counts(session, locale="en") == {tents: 3, boots: 1}
    assert public.published_counts(session, locale="de") == {tents: 1}
    english = public.list_published(session, locale="en", limit=100)
    assert [a.title for a in english] == ["Laces", "Loose", "Choosing", "Airing", "Pitching"]
    page = public.list_published(session, locale="en", limit=2, offset=1)
    assert [a.title for a in page] == ["Loose", "Choosing"]
    assert [a.locale for a in public.list_published(session, category_id=tents)] == ["de", "en", "en", "en"]
    first = in_tents[0]
    assert first.id is not None and public.get_published(session, article_id=first.id) is first
    draft = session.exec(select(Article).where(Article.title == "Drafty")).one()
    assert draft.id is not None
    with pytest.raises(NotFoundError):
        public.get_published(session, article_id=draft.id)
