"""Who is asking: back-office users by session cookie, API clients by bearer token; role checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SessionDep, SettingsDep
from core import accounts
from core.accounts import Role, User
from core.errors import FaqdeskError, ForbiddenError, UnauthorizedError
from core.i18n import N_

SESSION_COOKIE = "faqdesk_session"


class LoginRequired(FaqdeskError):
    """No signed-in user; pages answer with a redirect to the login form."""

    status_code = 401
    error = "login_required"

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in to continue")
        self.next_url = next_url

    def login_url(self) -> str:
        """Where the browser is sent."""
        return "/admin/login?next=" + quote(self.next_url, safe="/")


def optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The user signed in with this browser, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return accounts.session_user(session, token=token, idle=timedelta(minutes=settings.session_idle_minutes))


MAX_NEXT_CHARS = 500  # where to go after signing in


def clip_next(url: str) -> str:
    """An address to return to after signing in, short enough for the login form: a longer one (a long
    search's) keeps its page without the query."""
    return url if len(url) <= MAX_NEXT_CHARS else url.split("?", 1)[0]


def _next_url(request: Request) -> str:
    path = request.url.path
    return clip_next(path + ("?" + request.url.query if request.url.query and request.method == "GET" else ""))


def signed_in(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """Any signed-in user, else a redirect to the login page."""
    if user is None:
        raise LoginRequired(_next_url(request))
    return user


def content_editor(user: Annotated[User, Depends(signed_in)]) -> User:
    """An admin or editor; agents may not change content."""
    if not user.role.edits_content:
        raise ForbiddenError(N_("your role may not edit help-center content"))
    return user


def administrator(user: Annotated[User, Depends(signed_in)]) -> User:
    """An admin."""
    if user.role is not Role.admin:
        raise ForbiddenError(N_("only admins may do this"))
    return user


UserDep = Annotated[User, Depends(signed_in)]
EditorDep = Annotated[User, Depends(content_editor)]
AdminDep = Annotated[User, Depends(administrator)]

_bearer = HTTPBearer(auto_error=False, description="An API token created in /admin/tokens (sent as `Bearer fqd_...`)")


def api_access(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> accounts.TokenAccess:
    """The owner of the bearer API token and the role the token acts with."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("send an API token as 'Authorization: Bearer <token>'")
    access = accounts.api_token_access(session, token=credentials.credentials)
    if access is None:
        raise UnauthorizedError("the API token is unknown or revoked, or its owner is deactivated or now an agent")
    return access


def api_user(access: Annotated[accounts.TokenAccess, Depends(api_access)]) -> User:
    """The owner of a working bearer API token."""
    return access.user


def api_editor(access: Annotated[accounts.TokenAccess, Depends(api_access)]) -> User:
    """The owner of an API token that may edit content (its role and the owner's both allow it)."""
    if not access.role.edits_content:
        raise ForbiddenError("this token's role may not edit help-center content")
    return access.user


ApiEditorDep = Annotated[User, Depends(api_editor)]


def set_session_cookie(response: Response, token: str, *, max_age: int, secure: bool) -> None:
    """The login cookie: HttpOnly, same-site, and only over HTTPS when configured."""
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax")
