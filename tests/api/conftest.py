"""Shared fixtures of the API tests: an app over the demo help-center content (SQLite, per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from core.db import make_engine, session_scope
from core.settings import Settings
from helpcenter import articles, categories, content, public
from migrations import upgrade
from tests.helpcenter.conftest import ARTICLES


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Demo content, a renamed slug, a draft article and a category without articles."""
    folder = tmp_path_factory.mktemp("app")
    settings = Settings(data_dir=folder / "var", database_url=f"sqlite:///{folder / 'hc.db'}", _env_file=None)  # type: ignore[call-arg]
    upgrade(settings.database_url)
    seed_engine = make_engine(settings.database_url)
    with session_scope(seed_engine) as db:
        content.load_folder(db, folder=ARTICLES)
        article, _ = public.find_published(db, locale="en", slug="newsletter")
        assert article is not None
        articles.update_article(db, article=article, author="ed", slug="newsletter-and-emails")
        returns = categories.get_category(db, slug="returns-and-refunds")
        articles.create_article(
            db, locale="en", title="Secret draft", body="Not yet.", author="ed", category_id=returns.id
        )
        categories.create_category(
            db, slug="gear-guides", names={"en": "Gear guides", "de": "Ausrüstungsratgeber"}, position=99
        )
    seed_engine.dispose()
    return settings


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture()
def db(app_settings: Settings) -> Iterator[Session]:
    app_engine = make_engine(app_settings.database_url)
    with Session(app_engine) as db_session:
        yield db_session
    app_engine.dispose()
