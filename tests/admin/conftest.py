"""A back-office app over a migrated SQLite database with the demo content and one user per role."""

from __future__ import annotations

import atexit
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from functools import cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.app import create_app
from core import accounts
from core.accounts import Role
from core.db import make_engine, session_scope
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


@pytest.fixture(scope="module")
def admin_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("admin"), upload_max_bytes=64 * 1024)


@pytest.fixture(scope="module")
def app_client(admin_settings: Settings) -> Iterator[TestClient]:
    """An anonymous client; also keeps the app (and its lifespan) running for the module."""
    with TestClient(create_app(admin_settings), follow_redirects=False) as client:
        yield client


def api_token(settings: Settings, role: Role, name: str = "tests") -> str:
    """A new API token of the ``role@example.com`` user that ``make_settings`` created."""
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        user = session.exec(select(accounts.User).where(accounts.User.email == f"{role.value}@example.com")).one()
        token, _row = accounts.create_api_token(session, user=user, name=name)
    engine.dispose()
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


@pytest.fixture(scope="module")
def as_role(app_client: TestClient) -> Iterator[Callable[[Role], TestClient]]:
    """A signed-in client per role, sharing the module's app."""
    clients: dict[Role, TestClient] = {}

    def get(role: Role) -> TestClient:
        if role not in clients:
            client = TestClient(app_client.app, follow_redirects=False)
            clients[role] = login(client, f"{role.value}@example.com")
        return clients[role]

    yield get
