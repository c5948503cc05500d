"""One app for the HTTP tests, over the shared rolled-back session.

Per backend, one database is seeded once per run (the demo articles and one user per role, as after
``faqdesk create-user``) and one app is started over it, its lifespan run and the demo model served. Each
test gets that app with every request bound to the test's own connection (``get_engine`` overridden):
whatever its requests and its ``site_db`` session write is one transaction, rolled back after the test
(``tests/db.py``). So no test migrates or seeds a database, and none sees another's data.

Tests that need requests on separate connections at once (event streams beside other requests, two
editors racing) or settings fixed when the app is built keep apps of their own (``make_settings``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.deps import get_engine
from bot.model import FaqModel
from core.accounts import Role
from core.db import is_postgres, make_engine, open_session
from core.settings import Settings
from tests.admin.conftest import login, make_settings
from tests.db import fresh_postgres_database, real_sqlite_savepoints, required_postgres, rolled_back


@dataclass
class Site:
    """The run's app on one backend, with the cookies of one signed-in user per role."""

    app: FastAPI
    engine: Engine
    settings: Settings
    cookies: dict[Role, dict[str, str]]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _site(request: pytest.FixtureRequest) -> Site:
    """The run's app on the test's backend.

    Only a selector: pytest tears a parametrized fixture down whenever the next test wants the other
    backend, which happens at nearly every file when one worker runs whole files (scripts/test). The apps
    themselves are unparametrized, so each is started once per worker."""
    site: Site = request.getfixturevalue(f"_{request.param}_site")
    return site


@pytest.fixture(scope="session")
def _sqlite_site(tmp_path_factory: pytest.TempPathFactory, _demo_model: FaqModel) -> Iterator[Site]:
    yield from _started(tmp_path_factory.mktemp("site-sqlite"), None, _demo_model)


@pytest.fixture(scope="session")
def _postgresql_site(tmp_path_factory: pytest.TempPathFactory, _demo_model: FaqModel) -> Iterator[Site]:
    with fresh_postgres_database(required_postgres(), prefix="faqdesk_site") as url:
        yield from _started(tmp_path_factory.mktemp("site-postgresql"), url, _demo_model)


def _started(folder: Path, database_url: str | None, model: FaqModel) -> Iterator[Site]:
    """The app running (lifespan entered), each role signed in once: those sessions are committed, so
    they outlive every test's rollback."""
    database = {"database_url": database_url} if database_url else {}
    # The widget tests' customer site is the one origin allowed to call the public API.
    settings = make_settings(folder, upload_max_bytes=64 * 1024, cors_origins=["https://shop.example"], **database)
    app = create_app(settings)
    engine = make_engine(settings.database_url)
    if not is_postgres(engine):
        real_sqlite_savepoints(engine)
    with TestClient(app):  # the lifespan runs until the run ends
        app.state.model = model
        cookies = {}
        for role in Role:
            signed_in = login(TestClient(app, follow_redirects=False), f"{role.value}@example.com")
            cookies[role] = dict(signed_in.cookies)
        yield Site(app=app, engine=engine, settings=app.state.settings, cookies=cookies)
    engine.dispose()


def app_session(app: FastAPI) -> Session:
    """A new session on the database the app's requests use: the test's transaction under ``site_app``,
    else the app's own engine."""
    bind = app.dependency_overrides.get(get_engine)
    return open_session(bind() if bind else app.state.engine)


def configure(app: FastAPI, **overrides: object) -> None:
    """Change settings the app reads per request for this test only (``site_app`` puts them back)."""
    app.state.settings = app.state.settings.model_copy(update=overrides)


@pytest.fixture()
def site_db(_site: Site) -> Iterator[Session]:
    """The test's session on the site's database: its transaction is the one the app's requests write
    into, rolled back after the test."""
    with rolled_back(_site.engine) as s:
        yield s


@pytest.fixture()
def site_app(_site: Site, site_db: Session, _demo_model: FaqModel) -> Iterator[FastAPI]:
    """The run's app, its requests inside the test's transaction, its counters and model as at the start."""
    app = _site.app
    bind = site_db.get_bind()  # the connection, without starting the session's own savepoint
    app.dependency_overrides[get_engine] = lambda: bind
    app.state.rate_limiter._storage.reset()
    app.state.model = _demo_model
    app.state.settings = _site.settings
    try:
        yield app
    finally:
        app.dependency_overrides.pop(get_engine, None)


@pytest.fixture()
def site_client(site_app: FastAPI) -> TestClient:
    """An anonymous client of the run's app (redirects are not followed, so tests see them)."""
    return TestClient(site_app, follow_redirects=False)


@pytest.fixture()
def signed_in(site_app: FastAPI, _site: Site) -> Callable[[Role], TestClient]:
    """A client signed in as ``role@example.com`` (a new client per call, with that role's cookies)."""

    def client(role: Role) -> TestClient:
        return TestClient(site_app, follow_redirects=False, cookies=_site.cookies[role])

    return client
