"""Back-office sign-in and sign-out, and the start page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api import csrf
from api.admin_ui import page, redirect, ui_locale, ui_locales
from api.auth import MAX_NEXT_CHARS, SESSION_COOKIE, UserDep, clip_next, optional_user, set_session_cookie
from api.deps import LimiterDep, SessionDep, SettingsDep
from api.ratelimit import RateLimited, client_address
from core import accounts
from core.accounts import User
from core.i18n import gettext_for, language_name
from helpcenter import editorial

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)


def _safe_next(next_url: str) -> str:
    # Only paths inside the back office: an absolute or protocol-relative URL would be an open redirect.
    next_url = clip_next(next_url)
    if next_url.startswith("/admin") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url if len(next_url) <= MAX_NEXT_CHARS else "/admin/"
    return "/admin/"


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, user: Annotated[User | None, Depends(optional_user)], next: str = "/admin/"
) -> Response:
    """The sign-in form (a signed-in user goes straight on)."""
    if user is not None:
        return redirect(_safe_next(next))
    return page(request, "admin/login.html", {"next": _safe_next(next), "email": "", "error": None}, user=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(csrf.verify)])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=4000)] = "/admin/",  # clipped by _safe_next
) -> Response:
    """Check the credentials, rate-limited per address and per email, and start a session."""
    ip = client_address(request)
    key_email = f"login:{ip}:{email.strip().lower()}"
    context = {"next": _safe_next(next), "email": email}
    try:
        limiter.check(settings.login_rate_limit, key_email, what="sign-in attempts")
        limiter.check("30/minute", f"login:{ip}", what="sign-in attempts from your network")
    except RateLimited as exc:
        _ = gettext_for(ui_locale(request, None))
        error = _("Too many sign-in attempts. Try again in %(seconds)s seconds.") % {"seconds": exc.retry_after}
        response = page(request, "admin/login.html", {**context, "error": error}, user=None, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    user = accounts.authenticate(session, email=email, password=password)
    if user is None:
        _ = gettext_for(ui_locale(request, None))
        error = _("Wrong email or password, or the account is deactivated.")
        return page(request, "admin/login.html", {**context, "error": error}, user=None, status_code=401)
    limiter.clear(settings.login_rate_limit, key_email)
    token = accounts.start_session(session, user=user, lifetime=timedelta(hours=settings.session_hours))
    response = redirect(_safe_next(next))
    set_session_cookie(response, token, max_age=settings.session_hours * 3600, secure=settings.cookie_secure)
    return response


@router.post("/logout", dependencies=[Depends(csrf.verify)])
def logout(request: Request, session: SessionDep) -> Response:
    """End this browser's session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(session, token=token)
    response = redirect("/admin/login", "signed_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session")
def session_check(request: Request, user: UserDep) -> Response:
    """Still signed in? With a form token valid for a save sent now.

    The editors' pages ask before sending a form (admin.js): a session that ended while someone wrote would
    otherwise turn the save into a redirect to the sign-in page and lose the text, and a form token older than
    the cookie's would be refused. Signed out, the answer is the 401 of any JSON request.
    """
    token, signed = csrf.form_token(request)
    response = JSONResponse({"csrf_token": token}, headers={"Cache-Control": "no-store"})
    csrf.set_cookie(response, signed, secure=request.app.state.settings.cookie_secure)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: UserDep, session: SessionDep, settings: SettingsDep) -> Response:
    """What needs attention: article counts, missing translations, failed searches, unhelpful articles."""
    context = {
        "locales": settings.locales,
        "counts": editorial.status_counts(session),
        "misses": editorial.recent_search_misses(session),
        "unhelpful": editorial.least_helpful(session),
    }
    return page(request, "admin/home.html", context, user=user)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: UserDep, settings: SettingsDep) -> Response:
    """Your account: the back office's language (any role chooses their own)."""
    languages = [(loc, language_name(loc)) for loc in ui_locales(settings)]
    return page(request, "admin/account.html", {"languages": languages}, user=user)


@router.post("/account", response_class=HTMLResponse, dependencies=[Depends(csrf.verify)])
def save_account(
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Save the chosen language; empty follows the browser's."""
    accounts.set_ui_locale(session, user=user, locale=language or None, available=ui_locales(settings))
    return redirect("/admin/account", "saved")
