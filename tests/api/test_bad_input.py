"""Hostile and careless input over every public and admin input, on SQLite and PostgreSQL: each gets a
4xx with a message in the API's error shape, never a 500, and nothing is half-saved.

Found by an audit: NUL characters (PostgreSQL refuses them in text), integers past 2^31 / 2^63 in ids,
offsets and ``after=``, far-future dates, concurrent creates of one slug, oversized and malformed bodies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.app import create_app
from bot.model import FaqModel
from core.accounts import Role
from core.db import make_engine
from core.settings import Settings
from helpcenter.models import Category
from support.models import Message
from tests.admin.conftest import api_token, csrf_token, login, make_settings
from tests.api.test_event_loop_rule import api_routes

HUGE = (2**31, 2**63, 2**64)
NUL = "a\x00b"
NUL_REFUSED = "text must not contain NUL characters (\\x00)"  # core.db, the same on both databases


class Clients:
    """Everyone who may send input: an anonymous visitor with a conversation, an admin in the back
    office (with a CSRF token) and an admin API token."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.anonymous = TestClient(app, follow_redirects=False)
        self.admin = login(TestClient(app, follow_redirects=False), "admin@example.com")
        self.csrf = csrf_token(self.admin, "/admin/categories")
        self.api_token = api_token(settings, Role.admin, "bad input")
        started = self.anonymous.post("/api/v1/conversations", json={"locale": "en"}).json()
        self.conversation, self.visitor_token = started["id"], started["token"]
        said = self.send("POST", f"/api/v1/conversations/{self.conversation}/messages", json={"text": "hello"})
        assert said.status_code == 200  # something to rate

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        """The request as its rightful caller would send it, so the input, not the auth, is what is tested."""
        client, kwargs = self._as_caller(method, path, kwargs)
        return client.request(method, path, **kwargs)

    def status(self, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
        """The status and the start of the body, as ``send`` would get them; an event stream is closed once
        its status is known, since it would stream until its time limit (minutes over every route)."""
        client, kwargs = self._as_caller(method, path, kwargs)
        with client.stream(method, path, **kwargs) as response:
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return response.status_code, ""
            return response.status_code, response.read().decode("utf-8", "replace")[:200]

    def _as_caller(self, method: str, path: str, kwargs: dict[str, Any]) -> tuple[TestClient, dict[str, Any]]:
        headers = kwargs.pop("headers", {})
        if path.startswith("/api/v1/admin"):
            client, headers = self.anonymous, {"Authorization": f"Bearer {self.api_token}", **headers}
        elif path.startswith("/api/v1/conversations/"):
            client, headers = self.anonymous, {"Authorization": f"Bearer {self.visitor_token}", **headers}
        elif path.startswith("/admin"):
            client = self.admin
            if method != "GET" and "json" not in kwargs:
                kwargs["data"] = {"csrf_token": self.csrf, **kwargs.get("data", {})}
        else:
            client = self.anonymous
        return client, {**kwargs, "headers": headers}


@pytest.fixture(scope="module")
def app_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("bad-input"), database_url=database_url)


@pytest.fixture(scope="module")
def clients(app_settings: Settings, _demo_model: FaqModel) -> Iterator[Clients]:
    with TestClient(create_app(app_settings)) as running:
        running.app.state.model = _demo_model  # type: ignore[attr-defined]
        yield Clients(running.app, app_settings)


def _stored(settings: Settings, statement: Any) -> int:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        count = int(session.exec(statement).one())
    engine.dispose()
    return count


def _fill(path: str, clients: Clients, **values: object) -> str:
    """The path with every parameter filled: the given values, else a valid one."""
    defaults: dict[str, object] = {"locale": "en", "conversation_id": clients.conversation, "slug": "returns"}
    for name in _param_names(path):
        path = path.replace("{" + name + "}", str(values.get(name, defaults.get(name, 1))))
    return path


def _param_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _routes() -> list[tuple[str, str, APIRoute]]:
    out = []
    for path, route in api_routes(create_app()):
        for method in sorted(route.methods or ()):
            out.append((method, path, route))
    return out


def test_every_route_answers_hostile_path_and_query_values_without_a_server_error(clients: Clients) -> None:
    failures = []
    for method, path, route in _routes():
        attempts: list[tuple[str, dict[str, Any]]] = []
        for param in route.dependant.path_params:
            bad: tuple[object, ...] = HUGE if param.field_info.annotation is int else ("a%00b", "%00", "%ff%fe")
            attempts += [(_fill(path, clients, **{param.name: value}), {}) for value in bad]
        queries = {p.name: p for node in [route.dependant, *route.dependant.dependencies] for p in node.query_params}
        for name, param in queries.items():
            bad = HUGE if "int" in str(param.field_info.annotation) else (NUL,)
            attempts += [(_fill(path, clients), {"params": {name: value}}) for value in bad]
            attempts.append((f"{_fill(path, clients)}?{name}=%ff%fe", {}))  # not UTF-8 once percent-decoded
        for url, kwargs in attempts:
            status, text = clients.status(method, url, **kwargs)
            if status >= 500:
                failures.append(f"{method} {url} {kwargs}: {status} {text}")
    assert failures == []


@pytest.mark.parametrize(
    ("method", "path", "body", "detail"),
    [
        ("POST", "/api/v1/conversations", {"locale": "en", "page_url": "https://shop.example/\x00"}, NUL_REFUSED),
        ("POST", "/api/v1/conversations/{conversation_id}/messages", {"text": "where is my order\x00"}, NUL_REFUSED),
        (
            "POST",
            "/api/v1/conversations/{conversation_id}/handoff",
            {"email": "a@example.com", "name": NUL},
            NUL_REFUSED,
        ),
        ("POST", "/api/v1/conversations/{conversation_id}/rating", {"score": 4, "comment": NUL}, NUL_REFUSED),
        ("POST", "/api/v1/admin/categories", {"slug": "nul-cat", "names": {"en": NUL}}, NUL_REFUSED),
        ("POST", "/api/v1/admin/articles", {"locale": "en", "title": NUL, "body": "x"}, NUL_REFUSED),
        (
            "POST",
            "/api/v1/admin/articles",
            {"locale": "en", "title": "t", "body": "x", "translation_of": 2**63},
            "body.translation_of: Input should be less than or equal to 2147483647",
        ),
        (
            "POST",
            "/api/v1/conversations/{conversation_id}/feedback",
            {"message_id": 2**63, "helpful": True},
            "body.message_id: Input should be less than or equal to 2147483647",
        ),
    ],
)
def test_json_bodies_with_nul_or_huge_numbers_get_a_clear_422(
    clients: Clients, app_settings: Settings, method: str, path: str, body: dict[str, object], detail: str
) -> None:
    messages_before = _stored(app_settings, select(func.count()).select_from(Message))
    response = clients.send(method, _fill(path, clients), json=body)
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "invalid", "detail": detail}
    assert _stored(app_settings, select(func.count()).select_from(Message)) == messages_before  # nothing half-saved


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/categories", {"slug": "nul", "name_en": NUL}),
        ("/admin/articles", {"locale": "en", "title": NUL, "body": "x"}),
        ("/hc/en/articles/returns/feedback", {"helpful": "no", "comment": NUL}),
    ],
)
def test_forms_with_nul_get_a_4xx_and_store_nothing(
    clients: Clients, app_settings: Settings, path: str, data: dict[str, str]
) -> None:
    categories = _stored(app_settings, select(func.count()).select_from(Category))
    response = clients.send("POST", path, data=data)
    assert 400 <= response.status_code < 500, response.text
    assert _stored(app_settings, select(func.count()).select_from(Category)) == categories


@pytest.mark.parametrize("path", ["/admin/categories", "/admin/articles", "/hc/en/articles/returns/feedback"])
def test_forms_that_are_not_utf8_are_read_with_replacement_characters(clients: Clients, path: str) -> None:
    """Starlette decodes a form's bytes with U+FFFD for what is not UTF-8: stored as such, never a 500."""
    slug = f"latin1-{path.count('/')}-{len(path)}"
    body = f"csrf_token={clients.csrf}&slug={slug}&name_en=%E9t%E9&title=%ff%fe&locale=en&body=x&helpful=no"
    response = clients.admin.post(
        path, content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code < 500, response.text[:300]


def test_login_and_search_with_nul(clients: Clients) -> None:
    login_page = TestClient(clients.anonymous.app)
    token = csrf_token(login_page)
    response = login_page.post("/admin/login", data={"email": NUL, "password": "x" * 12, "csrf_token": token})
    assert 400 <= response.status_code < 500
    assert clients.anonymous.get("/hc/en/search", params={"q": NUL}).status_code < 500
    assert clients.anonymous.get("/api/v1/search", params={"locale": "en", "q": NUL}).status_code < 500


def test_far_future_schedule_is_refused_in_the_form_and_the_api(clients: Clients) -> None:
    form = clients.send(
        "POST",
        "/admin/articles/1/status",
        data={"action": "schedule", "publish_at": "9999-12-31T23:59", "tz_offset": "-600"},
    )
    assert form.status_code == 422 and "ahead" in form.text
    api = clients.send(
        "POST",
        "/api/v1/admin/articles/1/status",
        json={"status": "published", "publish_at": "9999-12-31T23:59:59+14:00"},
    )
    assert api.status_code == 422 and "ahead" in api.json()["detail"]
    local_overflow = {"action": "schedule", "publish_at": "9999-12-31T23:59", "tz_offset": "600"}
    assert clients.send("POST", "/admin/articles/1/status", data=local_overflow).status_code == 422


def test_oversized_malformed_and_deeply_nested_bodies(clients: Clients) -> None:
    as_json = {"Content-Type": "application/json"}
    big = json.dumps({"locale": "en", "page_url": "x" * (10 * 1024 * 1024)})
    response = clients.send("POST", "/api/v1/conversations", content=big, headers=as_json)
    assert response.status_code == 413 and response.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"locale": "en", "page_url": "'
        for _ in range(10):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = clients.send(
        "POST", "/api/v1/conversations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    for body in (b'{"locale": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000, b'{"locale": '):
        response = clients.send(
            "POST", "/api/v1/conversations", content=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500 and "detail" in response.json(), body[:20]


def test_public_bodies_are_small_and_signed_in_ones_may_be_large(clients: Clients) -> None:
    """Parsing and validating a body hold the event loop: what anyone may send is capped at 32 KiB (a JSON
    object of thousands of unknown keys is refused before it is parsed), the back office's bodies are not."""
    many_keys = "{" + ",".join(f'"k{i}":0' for i in range(12_000)) + "}"  # ~100 KB, 12,000 validation errors
    as_json = {"Content-Type": "application/json"}
    cid = clients.conversation
    for path in ("/api/v1/conversations", f"/api/v1/conversations/{cid}/messages", "/api/v1/articles/1/votes"):
        response = clients.send("POST", path, content=many_keys, headers=as_json)
        assert response.status_code == 413, path
        assert response.json()["detail"] == "The request is too large: at most 32 KB can be sent at once."
    under = "{" + ",".join(f'"k{i}":0' for i in range(2_000)) + "}"  # fits: a 422 naming the first problems
    response = clients.send("POST", "/api/v1/conversations", content=under, headers=as_json)
    assert response.status_code == 422
    assert response.json()["detail"].endswith("; and 1980 more problems") and len(response.content) < 3000
    login = clients.anonymous.post("/admin/login", data={"email": "a@example.com", "password": "x" * 70_000})
    assert login.status_code == 413
    long_body = "Lorem ipsum dolor sit amet. " * 7_000  # 196 KB of article, as an editor may well write
    article = {"title": "Long", "body": long_body, "locale": "en", "category_id": 1}
    created = clients.send("POST", "/api/v1/admin/articles", json=article)
    assert created.status_code == 201, created.text[:200]


def test_a_wrong_method_is_a_405_that_says_which_are_allowed(clients: Clients) -> None:
    response = clients.send("PUT", "/api/v1/articles")
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    assert response.json()["error"] == "method_not_allowed"


def test_concurrent_creates_of_one_slug_give_one_201_and_conflicts(clients: Clients) -> None:
    def create(_: int) -> int:
        body = {"slug": "raced", "names": {"en": "Raced"}}
        return int(clients.send("POST", "/api/v1/admin/categories", json=body).status_code)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(create, range(8)))
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409, 422}, statuses


def test_unique_violation_names_the_column_on_both_backends(app_settings: Settings) -> None:
    from sqlalchemy.exc import IntegrityError

    from core.db import input_problem
    from core.errors import ConflictError

    engine = make_engine(app_settings.database_url)
    with Session(engine) as session:
        session.add(Category(slug="twice", names={"en": "Twice"}))
        session.commit()
        session.add(Category(slug="twice", names={"en": "Again"}))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
    engine.dispose()
    problem = input_problem(caught.value)
    assert isinstance(problem, ConflictError) and "slug" in problem.detail
