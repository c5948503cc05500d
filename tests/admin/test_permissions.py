"""Every role against every back-office page and action: admins all, editors content, agents neither."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from core.accounts import Role
from tests.admin.conftest import csrf_token

# (method, path, form) -> who may: a set of roles
PAGES = [
    ("GET", "/admin/", {Role.admin, Role.editor, Role.agent}),
    ("GET", "/admin/tokens", {Role.admin, Role.editor, Role.agent}),
    ("GET", "/admin/articles", {Role.admin, Role.editor, Role.agent}),
    ("GET", "/admin/articles/new", {Role.admin, Role.editor}),
    ("GET", "/admin/articles/1", {Role.admin, Role.editor}),
    ("GET", "/admin/articles/1/revisions", {Role.admin, Role.editor}),
    ("GET", "/admin/categories", {Role.admin, Role.editor}),
    ("GET", "/admin/media", {Role.admin, Role.editor}),
    ("GET", "/admin/users", {Role.admin}),
]
ACTIONS = [
    ("/admin/articles", {"title": "Perm check {role}", "locale": "en", "body": "x"}, {Role.admin, Role.editor}),
    ("/admin/articles/1", {"title": "Track your order", "body": "Edited"}, {Role.admin, Role.editor}),
    ("/admin/articles/1/status", {"action": "publish"}, {Role.admin, Role.editor}),
    ("/admin/articles/1/revisions/1/restore", {}, {Role.admin, Role.editor}),
    ("/admin/preview", {"body": "*hi*"}, {Role.admin, Role.editor}),
    ("/admin/categories", {"name_en": "Perm {role}", "slug": "perm-{role}"}, {Role.admin, Role.editor}),
    ("/admin/users", {"email": "u-{role}@example.com", "password": "long enough pw", "role": "agent"}, {Role.admin}),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "path", "allowed"), PAGES)
def test_pages_per_role(
    as_role: Callable[[Role], TestClient], role: Role, method: str, path: str, allowed: set[Role]
) -> None:
    response = as_role(role).request(method, path)
    assert response.status_code == (200 if role in allowed else 403), response.text[:300]
    if role not in allowed:
        assert "Not allowed" in response.text and "Nothing was changed" in response.text


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("path", "form", "allowed"), ACTIONS)
def test_actions_per_role(
    as_role: Callable[[Role], TestClient], role: Role, path: str, form: dict[str, str], allowed: set[Role]
) -> None:
    client = as_role(role)
    data = {k: v.format(role=role.value) for k, v in form.items()} | {"csrf_token": csrf_token(client, "/admin/")}
    response = client.post(path, data=data)
    if role in allowed:
        assert response.status_code in (200, 303), response.text[:300]
    else:
        assert response.status_code == 403, response.text[:300]


def test_anonymous_visitors_are_sent_to_login_for_every_page(app_client: TestClient) -> None:
    for _, path, _ in PAGES:
        response = app_client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next=")


def test_agents_see_no_content_menu(as_role: Callable[[Role], TestClient]) -> None:
    page = as_role(Role.agent).get("/admin/").text
    assert 'href="/admin/articles"' not in page and 'href="/admin/users"' not in page
    assert 'href="/admin/users"' in as_role(Role.admin).get("/admin/").text
