"""Rendering back-office pages: every page gets the user, a CSRF token, strict security headers and its language."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api import csrf
from api.headers import PAGE_CSP
from api.templating import templates
from core.accounts import User
from core.i18n import DEFAULT_UI_LOCALE, N_, accepted_locale, gettext_for, has_catalog
from core.settings import Settings

# Admin pages run no inline script and load nothing from elsewhere; framing is refused (the policy
# of every page, api/headers.py, set here too so a page's headers do not depend on the middleware).
ADMIN_CSP = PAGE_CSP

LANGUAGE_COOKIE = "faqdesk_ui_locale"
LANGUAGE_MAX_AGE = 365 * 24 * 3600

NOTICES = {
    "saved": N_("Saved."),
    "created": N_("Created."),
    "published": N_("Published."),
    "unpublished": N_("Moved back to draft."),
    "archived": N_("Archived."),
    "scheduled": N_("Scheduled for publication."),
    "restored": N_("Revision restored as a new revision."),
    "uploaded": N_("Uploaded."),
    "deleted": N_("Deleted."),
    "revoked": N_("Token revoked."),
    "signed_out": N_("You are signed out."),
}


def secure_headers(response: Response) -> Response:
    """Headers every back-office response carries."""
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def ui_locales(settings: Settings) -> list[str]:
    """The back office's languages: English (the source strings), then each configured locale with a catalogue."""
    return [DEFAULT_UI_LOCALE, *(loc for loc in settings.locales if loc != DEFAULT_UI_LOCALE and has_catalog(loc))]


def ui_locale(request: Request, user: User | None) -> str:
    """The user's chosen language, else the browser's first among the back office's, else English.

    Without a user (error pages, which cannot read the database, and the sign-in page) the choice the
    last signed-in page left in a cookie stands in for the user's.
    """
    available = ui_locales(request.app.state.settings)
    chosen = user.ui_locale if user is not None else request.cookies.get(LANGUAGE_COOKIE)
    if chosen in available:
        return str(chosen)
    return accepted_locale(request.headers.get("accept-language", ""), available) or DEFAULT_UI_LOCALE


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: User | None,
    status_code: int = 200,
) -> Response:
    """Render a back-office template with the CSRF token, the user, the notice from the URL and its language."""
    token, signed = csrf.form_token(request)
    locale = ui_locale(request, user)
    _ = gettext_for(locale)
    # A page's own notice (a route's NOTICES, marked with N_) or a common one named in the URL.
    notice = context.get("notice") or NOTICES.get(request.query_params.get("notice", ""))
    # A form's problem comes from a service in English; one marked with N_ there has a translation.
    error = context.get("error")
    translated = {"error": _(error)} if isinstance(error, str) and error else {}
    full = {
        "user": user,
        "csrf_token": token,
        "csrf_field": csrf.FIELD,
        "ui_locale": locale,
        **context,
        "notice": _(notice) if notice else None,
        **translated,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    secure = request.app.state.settings.cookie_secure
    csrf.set_cookie(response, signed, secure=secure)
    if user is not None and user.ui_locale:
        # Not a secret and not an identity: only which catalogue the pages without a user should use.
        response.set_cookie(LANGUAGE_COOKIE, user.ui_locale, max_age=LANGUAGE_MAX_AGE, secure=secure, samesite="lax")
    elif user is not None and LANGUAGE_COOKIE in request.cookies:
        response.delete_cookie(LANGUAGE_COOKIE)
    return secure_headers(response)


def redirect(url: str, notice: str | None = None) -> Response:
    """A 303 to a page, optionally with a notice shown there."""
    if notice:
        url += ("&" if "?" in url else "?") + "notice=" + notice
    return secure_headers(RedirectResponse(url, status_code=303))
