"""CSRF protection for back-office forms (fastapi-csrf-protect, double submit with a signed cookie)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi_csrf_protect import CsrfProtect
from fastapi_csrf_protect.exceptions import CsrfProtectError
from itsdangerous import BadData, URLSafeTimedSerializer

from core.errors import FaqdeskError

COOKIE = "faqdesk_csrf"
FIELD = "csrf_token"
MAX_AGE = 8 * 3600
# A page reuses the token in its cookie until half its life is gone, so several open tabs keep working.
REUSE_AGE = MAX_AGE // 2


@CsrfProtect.load_config
def _load_config() -> list[tuple[str, Any]]:
    # The secret is passed per app (each app has its own), so it is not part of this global config.
    return [("cookie_key", COOKIE), ("token_location", "body"), ("token_key", FIELD), ("max_age", MAX_AGE)]


class CsrfError(FaqdeskError):
    """A form arrived without a valid token: expired, or sent from another site."""

    status_code = 403
    error = "csrf"


def _secret(request: Request) -> str:
    secret: str = request.app.state.secret_key
    return secret


def form_token(request: Request) -> tuple[str, str | None]:
    """The token to put in forms, and a new signed cookie value to set (None: the cookie is fine)."""
    signed = request.cookies.get(COOKIE)
    if signed:
        try:
            token = URLSafeTimedSerializer(_secret(request), salt="fastapi-csrf-token").loads(signed, max_age=REUSE_AGE)
            return str(token), None
        except BadData:
            pass
    token, signed = CsrfProtect().generate_csrf_tokens(_secret(request))
    return token, signed


def set_cookie(response: Response, signed: str | None, *, secure: bool) -> None:
    """Send the signed token cookie when a new one was made."""
    if signed:
        response.set_cookie(COOKIE, signed, max_age=MAX_AGE, path="/", secure=secure, httponly=True, samesite="strict")


async def verify(request: Request) -> None:
    """Reject the request unless its form carries the token matching the cookie."""
    await request.form()  # parsed once and cached on the request; the library reads the cache
    try:
        await CsrfProtect().validate_csrf(request, secret_key=_secret(request))
    except CsrfProtectError as exc:
        raise CsrfError("The form has expired or was not sent from this site. Reload the page and try again.") from exc
