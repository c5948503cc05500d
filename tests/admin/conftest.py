"""Back-office test helpers: the run's app (tests/app.py) under the names these tests use, sign-in, CSRF and
API-token helpers, and ``make_settings`` for tests that need an app and a database of their own."""

from __future__ import annotations

import atexit
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from functools import cache
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core import accounts
from core.accounts import Role
from core.db import Bind, make_engine, session_scope
from core.settings import Settings
from helpcenter import content
from migrations import upgrade
from tests.helpcenter.conftest import ARTICLES

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_settings(folder: Path, **overrides: object) -> Settings:
    """Settings over a migrated database (SQLite in ``folder`` unless ``database_url`` is given) holding
    the demo articles and one user per role.

    A new SQLite database is a copy of one seeded once per run: migrating, loading the demo articles and
    hashing four passwords took ~1.2 s for each of the tests' many apps."""
    if "database_url" not in overrides:
        database = folder / "admin.db"
        if not database.exists():
            folder.mkdir(parents=True, exist_ok=True)
            _copy_sqlite(_seeded_template(), database)
        overrides["database_url"] = f"sqlite:///{database}"
    settings = Settings(data_dir=folder / "var", _env_file=None, **overrides)  # type: ignore[call-arg]
    _seed(settings.database_url)
    return settings


def _seed(database_url: str) -> None:
    """Migrate the database and, when it holds no articles yet, add the demo articles and users."""
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        if content.is_empty(session):
            content.load_folder(session, folder=ARTICLES)
            for role in Role:
                accounts.create_user(session, email=f"{role.value}@example.com", password=PASSWORD, role=role)
    engine.dispose()


@cache
def _seeded_template() -> Path:
    """A migrated and seeded SQLite database for this run to copy (removed when the run ends)."""
    folder = Path(tempfile.mkdtemp(prefix="faqdesk-seeded-"))
    atexit.register(shutil.rmtree, folder, True)
    database = folder / "template.db"
    _seed(f"sqlite:///{database}")
    return database


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (whatever its journal holds)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture()
def admin_settings(site_app: FastAPI) -> Settings:
    """The settings of the run's app (tests/app.py): its database holds the demo articles and one user
    per role, and every request of the test writes into the test's rolled-back transaction."""
    settings: Settings = site_app.state.settings
    return settings


@pytest.fixture()
def app_client(site_client: TestClient) -> TestClient:
    """An anonymous client of the run's app."""
    return site_client


@pytest.fixture()
def db_bind(site_db: Session) -> Bind:
    """The test's connection, whose transaction the app's requests write into (for helpers that open
    sessions of their own)."""
    return site_db.get_bind()


def api_token(database: Settings | Bind, role: Role, name: str = "tests") -> str:
    """A new API token of the ``role@example.com`` user that ``make_settings`` created, stored through
    the test's connection or, for an app of a test's own, committed to that app's database."""
    if isinstance(database, Settings):
        engine = make_engine(database.database_url)
        try:
            return api_token(engine, role, name)
        finally:
            engine.dispose()
    with session_scope(database) as session:
        user = session.exec(select(accounts.User).where(accounts.User.email == f"{role.value}@example.com")).one()
        token, _row = accounts.create_api_token(session, user=user, name=name)
    return token


def csrf_token(client: TestClient, path: str = "/admin/login") -> str:
    """Load a page and read the CSRF token from its form (the cookie is kept by the client)."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF token in {path}"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    token = csrf_token(client)
    response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture()
def as_role(signed_in: Callable[[Role], TestClient]) -> Callable[[Role], TestClient]:
    """A signed-in client per role, of the run's app."""
    return signed_in
