"""Rendering back-office pages: every page gets the user, a CSRF token and strict security headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api import csrf
from api.headers import PAGE_CSP
from api.templating import templates
from core.accounts import User

# Admin pages run no inline script and load nothing from elsewhere; framing is refused (the policy
# of every page, api/headers.py, set here too so a page's headers do not depend on the middleware).
ADMIN_CSP = PAGE_CSP

NOTICES = {
    "saved": "Saved.",
    "created": "Created.",
    "published": "Published.",
    "unpublished": "Moved back to draft.",
    "archived": "Archived.",
    "scheduled": "Scheduled for publication.",
    "restored": "Revision restored as a new revision.",
    "uploaded": "Uploaded.",
    "deleted": "Deleted.",
    "revoked": "Token revoked.",
    "signed_out": "You are signed out.",
}


def secure_headers(response: Response) -> Response:
    """Headers every back-office response carries."""
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: User | None,
    status_code: int = 200,
) -> Response:
    """Render a back-office template with the CSRF token, the user and the notice from the URL."""
    token, signed = csrf.form_token(request)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    full = {"user": user, "csrf_token": token, "csrf_field": csrf.FIELD, "notice": notice, "ui_locale": "en", **context}
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    csrf.set_cookie(response, signed, secure=request.app.state.settings.cookie_secure)
    return secure_headers(response)


def redirect(url: str, notice: str | None = None) -> Response:
    """A 303 to a page, optionally with a notice shown there."""
    if notice:
        url += ("&" if "?" in url else "?") + "notice=" + notice
    return secure_headers(RedirectResponse(url, status_code=303))
