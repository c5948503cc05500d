"""Sign-in, sessions, CSRF and the login rate limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core import accounts
from core.db import make_engine, session_scope
from core.settings import Settings
from tests.admin.conftest import PASSWORD, csrf_token, login, make_settings


def test_pages_need_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get("/admin/articles?status=draft")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/articles%3Fstatus%3Ddraft"


def test_login_starts_an_opaque_session_and_logout_ends_it(app_client: TestClient) -> None:
    client = TestClient(app_client.app, follow_redirects=False)
    token = csrf_token(client)
    response = client.post(
        "/admin/login",
        data={"email": "EDITOR@example.com", "password": PASSWORD, "csrf_token": token, "next": "/admin/articles"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/articles"
    cookie = response.headers["set-cookie"]
    assert "faqdesk_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    session_token = client.cookies["faqdesk_session"]
    assert "editor" not in session_token and len(session_token) >= 40  # random, carries no data
    assert client.get("/admin/articles").status_code == 200

    logout = client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert logout.status_code == 303
    # The old cookie no longer works even if a copy of it is replayed.
    replay = TestClient(app_client.app, follow_redirects=False, cookies={"faqdesk_session": session_token})
    assert replay.get("/admin/articles").status_code == 303


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app_client: TestClient) -> None:
    client = TestClient(app_client.app, follow_redirects=False)
    token = csrf_token(client)
    for email in ("editor@example.com", "nobody@example.com"):
        response = client.post(
            "/admin/login", data={"email": email, "password": "wrong password!", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Wrong email or password" in response.text
    assert "faqdesk_session" not in client.cookies


def test_open_redirects_after_login_are_refused(app_client: TestClient) -> None:
    client = TestClient(app_client.app, follow_redirects=False)
    token = csrf_token(client)
    data = {"email": "agent@example.com", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/admin"}
    assert client.post("/admin/login", data=data).headers["location"] == "/admin/"


def test_a_long_address_to_return_to_never_stops_a_sign_in(app_client: TestClient) -> None:
    long_search = "/admin/conversations?q=" + "x" * 490
    assert app_client.get(long_search).headers["location"] == "/admin/login?next=/admin/conversations"
    client = TestClient(app_client.app, follow_redirects=False)
    token = csrf_token(client)
    for posted, lands in ((long_search, "/admin/conversations"), ("/admin/" + "x" * 3000, "/admin/")):
        data = {"email": "agent@example.com", "password": PASSWORD, "csrf_token": token, "next": posted}
        response = client.post("/admin/login", data=data)
        assert response.status_code == 303 and response.headers["location"] == lands
    form = TestClient(app_client.app).get("/admin/login", params={"next": long_search}).text  # signed out
    assert 'value="/admin/conversations"' in form and "x" * 490 not in form


def test_forms_without_a_valid_csrf_token_are_rejected(app_client: TestClient) -> None:
    client = login(TestClient(app_client.app, follow_redirects=False), "editor@example.com")
    form = {"title": "Sneaky", "locale": "en", "body": "x"}
    missing = client.post("/admin/articles", data=form)
    assert missing.status_code == 403 and "expired or was not sent from this site" in missing.text
    forged = client.post("/admin/articles", data={**form, "csrf_token": "0" * 40})
    assert forged.status_code == 403
    # A token from another browser does not match this browser's cookie.
    other = TestClient(app_client.app, follow_redirects=False)
    stolen = csrf_token(other)
    assert client.post("/admin/articles", data={**form, "csrf_token": stolen}).status_code == 403
    assert client.post("/admin/articles", data={**form, "csrf_token": csrf_token(client, "/admin/")}).status_code == 303


def test_login_form_itself_needs_the_csrf_token(app_client: TestClient) -> None:
    client = TestClient(app_client.app, follow_redirects=False)
    response = client.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "faqdesk_session" not in client.cookies


def test_login_is_rate_limited_per_email_and_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, login_rate_limit="3/day")  # a day: no window boundary mid-test
    with TestClient(create_app(settings), follow_redirects=False) as client:
        token = csrf_token(client)
        statuses = [
            client.post(
                "/admin/login", data={"email": "admin@example.com", "password": "guess " * 3, "csrf_token": token}
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        blocked = client.post(
            "/admin/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token}
        )
        assert blocked.status_code == 429, "the right password must not get through while limited"
        assert int(blocked.headers["retry-after"]) >= 1
        assert "Too many sign-in attempts" in blocked.text
        # Another account from the same address is not locked by someone guessing this one.
        other = client.post(
            "/admin/login", data={"email": "agent@example.com", "password": PASSWORD, "csrf_token": token}
        )
        assert other.status_code == 303


def test_deactivating_a_user_ends_their_sessions(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        login(client, "agent@example.com")
        assert client.get("/admin/").status_code == 200
        engine = make_engine(settings.database_url)
        with session_scope(engine) as session:
            user = next(u for u in accounts.list_users(session) if u.email == "agent@example.com")
            accounts.update_user(session, user=user, active=False)
        engine.dispose()
        assert client.get("/admin/").status_code == 303


@pytest.mark.parametrize("password", ["", "short"])
def test_weak_passwords_are_refused(tmp_path: Path, password: str) -> None:
    settings: Settings = make_settings(tmp_path)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session, pytest.raises(accounts.ValidationError, match="at least 12"):
        accounts.create_user(session, email="new@example.com", password=password, role=accounts.Role.editor)
    engine.dispose()


def test_the_session_check_gives_a_form_token_while_signed_in_and_a_401_after(app_client: TestClient) -> None:
    """What the editors ask before a save (admin.js): signed out, a JSON 401, never the sign-in page."""
    client = login(TestClient(app_client.app, follow_redirects=False), "editor@example.com")
    check = client.get("/admin/session", headers={"Accept": "application/json"})
    assert check.status_code == 200 and check.headers["cache-control"] == "no-store"
    token = check.json()["csrf_token"]
    form = {"title": "Saved with the checked token", "locale": "en", "body": "x", "csrf_token": token}
    assert client.post("/admin/articles", data=form).status_code == 303

    client.cookies.delete("faqdesk_session")
    signed_out = client.get("/admin/session", headers={"Accept": "application/json"})
    assert signed_out.status_code == 401 and signed_out.json()["error"] == "login_required"
