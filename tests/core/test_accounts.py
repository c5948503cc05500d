"""Accounts: users, sign-in, login sessions and API tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core import accounts
from core.accounts import ApiToken, LoginSession, Role, User, normalize_email
from core.clock import as_utc
from core.errors import ForbiddenError, NotFoundError, ValidationError
from core.security import token_digest

PASSWORD = "a sound passphrase"
DAY = timedelta(days=1)


def user(session: Session, email: str = "Ann.Editor@Example.com", role: Role = Role.editor) -> User:
    return accounts.create_user(session, email=email, password=PASSWORD, role=role, name="  Ann  ")


def test_a_new_user_is_stored_with_a_normalised_email_and_a_hash(session: Session) -> None:
    ann = user(session)
    assert (ann.email, ann.name, ann.role, ann.active) == ("ann.editor@example.com", "Ann", Role.editor, True)
    assert ann.password_hash.startswith("$argon2id$") and PASSWORD not in ann.password_hash
    with pytest.raises(ValidationError, match="already exists"):
        user(session, email="ANN.EDITOR@example.com")
    with pytest.raises(ValidationError, match="not an email address"):
        user(session, email="ann@localhost")
    assert accounts.get_user(session, user_id=ann.id or 0) is ann
    with pytest.raises(NotFoundError):
        accounts.get_user(session, user_id=2_000_000_000)


def test_sign_in_needs_the_right_password_and_an_active_account(session: Session) -> None:
    ann = user(session)
    assert ann.last_login_at is None
    assert accounts.authenticate(session, email=" ANN.editor@example.com ", password=PASSWORD) is ann
    assert ann.last_login_at is not None
    assert accounts.authenticate(session, email=ann.email, password=PASSWORD + "!") is None
    assert accounts.authenticate(session, email="nobody@example.com", password=PASSWORD) is None
    accounts.update_user(session, user=ann, active=False)
    assert accounts.authenticate(session, email=ann.email, password=PASSWORD) is None


def test_a_login_session_stores_only_the_digest_of_its_token(session: Session) -> None:
    ann = user(session)
    token = accounts.start_session(session, user=ann, lifetime=DAY)
    [row] = session.exec(select(LoginSession).where(LoginSession.user_id == ann.id)).all()
    assert row.token_hash == token_digest(token) != token
    assert accounts.session_user(session, token=token, idle=DAY) is ann
    assert accounts.session_user(session, token=token + "x", idle=DAY) is None
    accounts.end_session(session, token=token)
    assert accounts.session_user(session, token=token, idle=DAY) is None


def test_an_expired_or_idle_session_ends(session: Session) -> None:
    ann = user(session)
    expired = accounts.start_session(session, user=ann, lifetime=timedelta(seconds=-1))
    assert accounts.session_user(session, token=expired, idle=DAY) is None
    session.flush()
    assert session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(expired))).first() is None
    idle = accounts.start_session(session, user=ann, lifetime=DAY)
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(idle))).one()
    row.last_seen_at = accounts.utcnow() - timedelta(hours=3)
    session.add(row)
    assert accounts.session_user(session, token=idle, idle=timedelta(hours=2)) is None


def test_a_session_in_use_is_touched_at_most_once_a_minute(session: Session) -> None:
    ann = user(session)
    token = accounts.start_session(session, user=ann, lifetime=DAY)
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).one()
    first_seen = row.last_seen_at
    assert accounts.session_user(session, token=token, idle=DAY) is ann
    assert row.last_seen_at == first_seen
    row.last_seen_at = accounts.utcnow() - timedelta(minutes=5)
    assert accounts.session_user(session, token=token, idle=DAY) is ann
    assert accounts.utcnow() - as_utc(row.last_seen_at) < timedelta(minutes=1)


def test_deactivating_a_user_signs_them_out_everywhere(session: Session) -> None:
    ann = user(session)
    tokens = [accounts.start_session(session, user=ann, lifetime=DAY) for _ in range(2)]
    accounts.update_user(session, user=ann, active=False)
    session.flush()
    assert session.exec(select(LoginSession).where(LoginSession.user_id == ann.id)).all() == []
    accounts.update_user(session, user=ann, active=True)
    assert all(accounts.session_user(session, token=t, idle=DAY) is None for t in tokens)


def test_an_api_token_is_shown_once_and_stored_as_a_digest(session: Session) -> None:
    ann = user(session)
    token, row = accounts.create_api_token(session, user=ann, name=" deploy ")
    assert token.startswith("fqd_") and row.prefix == token[:8] and row.name == "deploy"
    assert row.token_hash == token_digest(token) and row.role is Role.editor
    access = accounts.api_token_access(session, token=token)
    assert access is not None and (access.user, access.role) == (ann, Role.editor)
    assert row.last_used_at is not None
    assert accounts.api_token_access(session, token=token[:-1]) is None
    accounts.revoke_api_token(session, token_id=row.id or 0)
    assert accounts.api_token_access(session, token=token) is None
    assert list(accounts.api_tokens(session, user=ann)) == [row]


def test_a_token_never_acts_with_more_than_its_owner_has(session: Session) -> None:
    boss = user(session, email="boss@example.com", role=Role.admin)
    editor = user(session, email="ed@example.com", role=Role.editor)
    agent = user(session, email="agent@example.com", role=Role.agent)
    assert accounts.token_roles(boss) == [Role.admin, Role.editor]
    assert accounts.token_roles(editor) == [Role.editor] and accounts.token_roles(agent) == []
    with pytest.raises(ForbiddenError):
        accounts.create_api_token(session, user=editor, name="t", role=Role.admin)
    with pytest.raises(ForbiddenError):
        accounts.create_api_token(session, user=agent, name="t")
    with pytest.raises(ValidationError):
        accounts.create_api_token(session, user=boss, name="   ")
    token, _ = accounts.create_api_token(session, user=boss, name="t")
    accounts.update_user(session, user=boss, role=Role.editor)  # demoted: the token is demoted too
    access = accounts.api_token_access(session, token=token)
    assert access is not None and access.role is Role.editor
    accounts.update_user(session, user=boss, role=Role.agent)  # an agent's tokens stop working
    assert accounts.api_token_access(session, token=token) is None
    accounts.update_user(session, user=boss, role=Role.admin, active=False)
    assert accounts.api_token_access(session, token=token) is None
    assert session.exec(select(ApiToken).where(ApiToken.user_id == boss.id)).one().revoked_at is None


@pytest.mark.parametrize(
    "address", ["jörg.müller@müller.de", "o'brien+tag@mail.example.ie", "admin@corp.local", "x@xn--e1afmkfd.xn--p1ai"]
)
def test_addresses_people_have_are_accepted(address: str) -> None:
    assert normalize_email(f" {address.upper()} ") == address.lower()
