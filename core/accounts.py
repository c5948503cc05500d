"""Back-office accounts: users with roles, login sessions and API tokens (all stored hashed)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Field, Session, SQLModel, select

from core.clock import as_utc, utcnow
from core.errors import ForbiddenError, NotFoundError, ValidationError
from core.i18n import N_
from core.resources import common_passwords
from core.security import dummy_hash, hash_password, new_token, token_digest, verify_password

# What people's addresses are made of (RFC 5322's dot-atom, with any language's letters as RFC 6531
# allows): anything looser let control characters, quotes, angle brackets and direction overrides
# through ('a\u0007<x>"@ex\u202eample.com'), garbling the inbox and failing every reply email. Markdown's
# active characters (* ` [ ] < > ~ | { }) are left out too: the address is quoted in the chat's notices.
EMAIL = re.compile(
    r"^[\w.!#$%&'+/=?^-]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"(?:[^\W\d_]{2,63}|[xX][nN]--[a-zA-Z0-9-]{1,59})$"
)
# NIST SP 800-63B (revision 4) asks 15 where a password is the only factor and 8 beside a second one;
# 12 is the usual middle ground while the back office has no second factor.
MIN_PASSWORD = 12


class Role(StrEnum):
    """What a user may do: admins everything, editors content, agents the inbox only."""

    admin = "admin"
    editor = "editor"
    agent = "agent"

    @property
    def edits_content(self) -> bool:
        """Whether this role may change articles, categories, intents and uploads."""
        return self in (Role.admin, Role.editor)

    @property
    def manages_users(self) -> bool:
        """Whether this role may manage users and API tokens of others."""
        return self is Role.admin

    @property
    def holds_api_tokens(self) -> bool:
        """Whether this role may create and use API tokens (the admin API has nothing for the inbox)."""
        return self is not Role.agent

    @property
    def rank(self) -> int:
        """Orders roles by what they allow: an agent's rights are within an editor's, an editor's within an admin's."""
        return {Role.agent: 0, Role.editor: 1, Role.admin: 2}[self]


class User(SQLModel, table=True):
    """A back-office account (``user`` is a reserved word in PostgreSQL, hence the table name)."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    role: Role = Field(default=Role.agent)
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # The back office's language this user chose; None follows the browser (Accept-Language).
    ui_locale: str | None = Field(default=None, max_length=16)

    @property
    def display_name(self) -> str:
        """The name, or the email when no name is set."""
        return self.name or self.email


class LoginSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the database only its digest."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ApiToken(SQLModel, table=True):
    """A token for the admin JSON API; it acts with its own role or its owner's, whichever allows less."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)  # shown in lists so a token can be recognised, not used
    user_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    role: Role = Field(default=Role.editor)  # at most the owner's role when created
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class TokenAccess:
    """Who calls with an API token, and the role the call gets (never more than the owner has now)."""

    user: User
    role: Role


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; a malformed one is rejected."""
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise ValidationError(f"{email!r} is not an email address")
    return email


def check_password(password: str, *, email: str) -> None:
    """Refuse a password that is short, common, repetitive or built from the account's email address.

    Length and a block list rather than composition rules (a digit, a capital): people meet those with
    "Password1!", while a passphrase of ordinary words is strong (NIST SP 800-63B, 5.1.1.2).
    """
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"the password needs at least {MIN_PASSWORD} characters")
    lowered = password.lower()
    # "aaaaaaaaaaaa", "aaaaaaaaaaa1": length without variety.
    if Counter(lowered).most_common(1)[0][1] * 2 >= len(lowered):
        raise ValidationError(N_("the password is mostly one repeated character; use more different characters"))
    # "abcabcabcabc", "passwordpassword": one short sequence typed again and again (a string is a
    # repetition exactly when it occurs inside itself doubled, first and last character dropped).
    if lowered in (lowered + lowered)[1:-1]:
        raise ValidationError(N_("the password repeats one short sequence; use a longer one that does not repeat"))
    if lowered.strip() in common_passwords():
        raise ValidationError(
            N_("this is one of the most commonly used passwords, which attackers try first; choose another")
        )
    local = email.strip().lower().partition("@")[0]
    for part in {local, re.sub(r"[._+-]", "", local)}:
        if len(part) >= 3 and part in lowered:
            raise ValidationError(N_("the password must not contain your email address or the name before its @"))


def create_user(session: Session, *, email: str, password: str, role: Role, name: str = "") -> User:
    """A new account; the email must be unused."""
    email = normalize_email(email)
    check_password(password, email=email)
    if session.exec(select(User).where(User.email == email)).first():
        raise ValidationError(f"a user with email {email!r} already exists")
    user = User(email=email, name=name.strip(), role=Role(role), password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, user_id: int) -> User:
    """The user with this id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    return user


def list_users(session: Session) -> Sequence[User]:
    """All accounts, by email."""
    return session.exec(select(User).order_by(User.email)).all()


def update_user(
    session: Session,
    *,
    user: User,
    role: Role | None = None,
    active: bool | None = None,
    name: str | None = None,
    by: User | None = None,
) -> User:
    """Change role, name or active flag; deactivating signs the user out everywhere.

    ``by`` is the admin making the change: they cannot demote or deactivate themself, which could leave
    nobody able to administer the site.
    """
    if by is not None and by.id == user.id and ((role is not None and role is not Role.admin) or active is False):
        raise ValidationError(N_("you cannot remove your own admin role or deactivate yourself"))
    if role is not None:
        user.role = Role(role)
    if name is not None:
        user.name = name.strip()
    if active is not None:
        user.active = active
        if not active:
            end_all_sessions(session, user=user)
    session.add(user)
    session.flush()
    return user


def set_ui_locale(session: Session, *, user: User, locale: str | None, available: Sequence[str]) -> User:
    """Choose the back office's language for this user (any role, for themself); None follows the browser."""
    if locale is not None and locale not in available:
        raise ValidationError(N_("That language is not available."))
    user.ui_locale = locale
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, else None (same work whether or not the email exists)."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        verify_password(password, dummy_hash())
        return None
    ok, new_hash = verify_password(password, user.password_hash)
    if not ok or not user.active:
        return None
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    session.add(user)
    return user


def start_session(session: Session, *, user: User, lifetime: timedelta) -> str:
    """A new login session; returns the token for the cookie (only its digest is stored)."""
    assert user.id is not None
    token = new_token()
    now = utcnow()
    session.add(
        LoginSession(token_hash=token_digest(token), user_id=user.id, last_seen_at=now, expires_at=now + lifetime)
    )
    session.flush()
    return token


def session_user(session: Session, *, token: str, idle: timedelta) -> User | None:
    """The user of a live session: not expired, not idle for longer than ``idle``, account active."""
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).first()
    if row is None:
        return None
    now = utcnow()
    if as_utc(row.expires_at) <= now or as_utc(row.last_seen_at) + idle <= now:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - as_utc(row.last_seen_at) > timedelta(minutes=1):  # spare a write on every request
        row.last_seen_at = now
        session.add(row)
    return user


def end_session(session: Session, *, token: str) -> None:
    """Sign out this browser."""
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).first()
    if row is not None:
        session.delete(row)


def end_all_sessions(session: Session, *, user: User) -> None:
    """Sign the user out everywhere."""
    for row in session.exec(select(LoginSession).where(LoginSession.user_id == user.id)).all():
        session.delete(row)


def token_roles(user: User) -> list[Role]:
    """The roles a token of this user may carry, highest first (none for an agent)."""
    if not user.role.holds_api_tokens:
        return []
    return sorted((r for r in Role if r.holds_api_tokens and r.rank <= user.role.rank), key=lambda r: -r.rank)


def create_api_token(session: Session, *, user: User, name: str, role: Role | None = None) -> tuple[str, ApiToken]:
    """A new API token for the user, with their role or a lesser one; the plain token is returned once."""
    assert user.id is not None
    if not user.role.holds_api_tokens:
        raise ForbiddenError(N_("agents cannot create API tokens: the admin API offers nothing for the inbox"))
    role = user.role if role is None else Role(role)
    if role.rank > user.role.rank:
        raise ForbiddenError(f"a token cannot carry more than its owner's role: you are {user.role}, not {role}")
    if not role.holds_api_tokens:
        raise ValidationError(N_("a token's role is editor or admin"))
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(N_("a token needs a name of 1 to 100 characters"))
    token = new_token("fqd_")
    row = ApiToken(name=name, token_hash=token_digest(token), prefix=token[:8], user_id=user.id, role=role)
    session.add(row)
    session.flush()
    return token, row


def api_tokens(session: Session, *, user: User | None = None) -> Sequence[ApiToken]:
    """Tokens, newest first; only the user's own when a user is given."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc())  # type: ignore[attr-defined]
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return session.exec(query).all()


def revoke_api_token(session: Session, *, token_id: int, by: User | None = None) -> ApiToken:
    """Revoke a token; it stops working at once. ``by``, when given, may revoke only a token
    ``api_tokens`` shows them: their own, or any for an admin."""
    if by is not None:
        if token_id not in {t.id for t in api_tokens(session, user=None if by.role is Role.admin else by)}:
            raise ValidationError("no such token among yours")
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no API token {token_id}")
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    return row


def api_token_access(session: Session, *, token: str) -> TokenAccess | None:
    """The active owner of a live (unrevoked) API token and the role the token acts with.

    The role is the token's or the owner's current one, whichever allows less: demoting a user demotes
    their tokens, and a token whose owner became an agent stops working.
    """
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    role = min(Role(row.role), user.role, key=lambda r: r.rank)
    if not role.holds_api_tokens:
        return None
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) > timedelta(minutes=1):
        row.last_used_at = now
        session.add(row)
    return TokenAccess(user=user, role=role)
