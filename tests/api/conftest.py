"""Shared fixtures of the API tests: the run's app (tests/app.py) with help-center content beside the demo
articles: a renamed slug, a draft article and a category without articles (inside the test's transaction)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.settings import Settings
from helpcenter import articles, categories, public
from tests.admin.conftest import make_settings


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over a database of the module's own, for an app built with other settings (CORS, production)."""
    return make_settings(tmp_path_factory.mktemp("app"))


@pytest.fixture()
def db(site_db: Session) -> Session:
    """The test's session, in the transaction the app's requests write into."""
    article, _ = public.find_published(site_db, locale="en", slug="newsletter")
    assert article is not None
    articles.update_article(site_db, article=article, author="ed", slug="newsletter-and-emails")
    returns = categories.get_category(site_db, slug="returns-and-refunds")
    articles.create_article(
        site_db, locale="en", title="Secret draft", body="Not yet.", author="ed", category_id=returns.id
    )
    categories.create_category(
        site_db, slug="gear-guides", names={"en": "Gear guides", "de": "Ausrüstungsratgeber"}, position=99
    )
    site_db.commit()
    return site_db


@pytest.fixture()
def client(db: Session, site_client: TestClient) -> TestClient:
    """An anonymous client of the run's app over that content (redirects followed, as a browser would)."""
    site_client.follow_redirects = True
    return site_client
