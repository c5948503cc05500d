"""A back-office app over a migrated SQLite database with the demo content and one user per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
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
    the demo articles and one user per role."""
    overrides.setdefault("database_url", f"sqlite:///{folder / 'admin.db'}")
    settings = Settings(data_dir=folder / "var", _env_file=None, **overrides)  # type: ignore[call-arg]
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        if content.is_empty(session):
            content.load_folder(session, folder=ARTICLES)
            for role in Role:
                accounts.create_user(session, email=f"{role.value}@example.com", password=PASSWORD, role=role)
    engine.dispose()
    return settings


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
