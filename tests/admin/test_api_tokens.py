"""API tokens carry no more than their owner's role allows, and agents cannot mint them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from core import accounts
from core.accounts import ApiToken, Role, User
from core.db import Bind, make_engine, session_scope
from core.errors import ForbiddenError
from migrations import upgrade
from tests.admin.conftest import PASSWORD, csrf_token

ARTICLE = {"locale": "en", "title": "Token article", "body": "Written with a token."}


def post_token(client: TestClient, **fields: str) -> tuple[int, str]:
    response = client.post("/admin/tokens", data={**fields, "csrf_token": csrf_token(client, "/admin/")})
    return response.status_code, response.text


def test_agents_cannot_mint_tokens(as_role: Callable[[Role], TestClient]) -> None:
    agent = as_role(Role.agent)
    status, body = post_token(agent, name="my script")
    assert status == 403 and "agents cannot create API tokens" in body
    page = agent.get("/admin/tokens").text
    assert 'action="/admin/tokens"' not in page and "Agents cannot create API tokens" in page
    assert 'href="/admin/tokens"' not in agent.get("/admin/").text  # no menu entry either


def test_a_token_cannot_carry_more_than_its_owners_role(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    status, body = post_token(editor, name="escalate", role="admin")
    assert status == 403 and "cannot carry more than its owner" in body
    assert '<option value="admin">' not in editor.get("/admin/tokens").text
    assert post_token(editor, name="an editor's token", role="editor")[0] == 201
    admin = as_role(Role.admin)
    assert post_token(admin, name="an admin's editor token", role="editor")[0] == 201


def test_a_demoted_owner_demotes_their_tokens(session: Session) -> None:
    owner = accounts.create_user(session, email="owner@example.com", password=PASSWORD, role=Role.admin)
    full, _ = accounts.create_api_token(session, user=owner, name="full")
    narrow, row = accounts.create_api_token(session, user=owner, name="narrow", role=Role.editor)
    assert row.role is Role.editor
    assert [accounts.api_token_access(session, token=t).role for t in (full, narrow)] == [Role.admin, Role.editor]  # type: ignore[union-attr]
    accounts.update_user(session, user=owner, role=Role.editor)
    assert [accounts.api_token_access(session, token=t).role for t in (full, narrow)] == [Role.editor, Role.editor]  # type: ignore[union-attr]
    accounts.update_user(session, user=owner, role=Role.agent)
    assert accounts.api_token_access(session, token=full) is None  # an agent's token acts with nothing
    with pytest.raises(ForbiddenError, match="agents cannot create API tokens"):
        accounts.create_api_token(session, user=owner, name="again")


def test_a_demoted_owners_token_is_refused_by_the_api(
    as_role: Callable[[Role], TestClient], app_client: TestClient, db_bind: Bind
) -> None:
    with session_scope(db_bind) as session:
        user = accounts.create_user(session, email="demoted@example.com", password=PASSWORD, role=Role.editor)
        token, _ = accounts.create_api_token(session, user=user, name="ci")
    headers = {"Authorization": f"Bearer {token}"}
    assert app_client.post("/api/v1/admin/articles", json=ARTICLE, headers=headers).status_code == 201
    with session_scope(db_bind) as session:
        user = session.exec(select(User).where(User.email == "demoted@example.com")).one()
        accounts.update_user(session, user=user, role=Role.agent)
    refused = app_client.post("/api/v1/admin/articles", json=ARTICLE, headers=headers)
    assert refused.status_code == 401 and "now an agent" in refused.json()["detail"]
    assert app_client.get("/api/v1/admin/metrics", headers=headers).status_code == 401


def test_the_migration_gives_existing_tokens_their_owners_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    engine = make_engine(url)
    with engine.begin() as conn:
        for n, role in enumerate(["admin", "editor", "agent"], start=1):
            conn.execute(
                text(
                    "INSERT INTO account (id, email, name, role, password_hash, active, created_at) "
                    "VALUES (:id, :email, '', :role, 'x', 1, '2026-01-01')"
                ),
                {"id": n, "email": f"{role}@example.com", "role": role},
            )
            conn.execute(
                text(
                    "INSERT INTO api_token (name, token_hash, prefix, user_id, created_at) "
                    "VALUES (:name, :hash, 'fqd_', :id, '2026-01-01')"
                ),
                {"name": role, "hash": str(n) * 64, "id": n},
            )
    upgrade(url)
    with Session(engine) as session:
        roles = {t.name: t.role for t in session.exec(select(ApiToken)).all()}
    assert roles == {"admin": Role.admin, "editor": Role.editor, "agent": Role.agent}
