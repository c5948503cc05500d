"""The one place errors become responses: domain errors by their ``status_code``, refused input from the
database as 409/422, a write overtaken by another transaction as 409, request validation as 422, HTTP
errors with their headers (``Allow`` on a 405), a back-office form a service refused as its page again.

Every JSON error has the same shape, ``{"error": code, "detail": message}`` (``ErrorOut`` in the OpenAPI
schema; input refused field by field adds ``fields``: each field's message); back-office pages get an HTML
error page and public pages their 404 page instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import inspect
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.admin_ui import page, ui_locale
from api.auth import LoginRequired
from api.ratelimit import RateLimited
from api.templating import templates
from core import accounts
from core.accounts import User
from core.db import input_problem, stale_problem
from core.errors import BusyError, EditConflict, FaqdeskError, FieldErrors
from core.i18n import N_, gettext_for
from core.settings import Settings

log = logging.getLogger(__name__)
# Starlette's own details, which an admin error page shows: marked here so the catalogue has them.
HTTP_DETAILS = (N_("Not Found"), N_("Method Not Allowed"))
MAX_LISTED_ERRORS = 20  # validation problems named in a 422


class FormRefused(Exception):
    """A back-office form a service refused: its page again with the problem and what was typed, nothing saved.

    ``context`` builds the page's template context; the handler calls it after rolling the request's
    transaction back, so the page shows what is saved (never the refused change) and may query freely.
    """

    def __init__(
        self,
        session: Session,
        template: str,
        context: Callable[[], dict[str, Any]],
        *,
        user: User,
        status_code: int = 422,
    ) -> None:
        super().__init__(f"{template}: refused ({status_code})")
        self.session = session
        self.template = template
        self.context = context
        self.user_id = row_key(user)  # the handler loads the user again once the transaction is rolled back
        self.status_code = status_code


def row_key(row: Any) -> int:
    """A loaded row's integer primary key, read without touching its transaction: after a failed flush,
    reading an attribute would. A refused form's ``context`` loads the rows it needs again by their keys."""
    identity = inspect(row).identity
    return int(identity[0]) if identity else (row.id or 0)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(FormRefused)
    def refused_form(request: Request, exc: FormRefused) -> Response:
        # A plain def: Starlette runs it in the thread pool, since the page reads the database.
        # The request's session may be closed already, its rows expired by the rollback: everything the
        # page shows is read again, the user too, and rendered before the session closes.
        exc.session.rollback()
        try:
            user = accounts.get_user(exc.session, user_id=exc.user_id)
            return page(request, exc.template, exc.context(), user=user, status_code=exc.status_code)
        finally:
            exc.session.close()

    @app.exception_handler(FaqdeskError)
    async def domain_error(request: Request, exc: FaqdeskError) -> Response:
        if isinstance(exc, LoginRequired) and _wants_html(request):
            return RedirectResponse(exc.login_url(), status_code=303)
        if _is_admin_page(request) and _wants_html(request):
            return _admin_error_page(request, exc.status_code, exc.detail)
        if exc.status_code == 404 and _wants_html(request):
            return _not_found_page(request)
        if _is_help_center_page(request) and _wants_html(request):
            response = _help_center_error_page(request, exc.status_code)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        body: dict[str, object] = {"error": exc.error, "detail": exc.detail}
        if isinstance(exc, EditConflict):  # the version to start again from (ConflictOut in the schema)
            body["current_version"] = exc.current_version
        if isinstance(exc, FieldErrors):  # a message per field, for a form to show beside each
            body["fields"] = exc.fields
        response = JSONResponse(body, status_code=exc.status_code)
        if isinstance(exc, RateLimited | BusyError):  # both say when trying again makes sense
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(IntegrityError)
    @app.exception_handler(DataError)
    async def refused_input(request: Request, exc: IntegrityError | DataError) -> Response:
        # A unique slug taken by a concurrent request, a value out of a column's range: the request's
        # session is rolled back by its dependency, so nothing half-written stays.
        return await domain_error(request, input_problem(exc))

    @app.exception_handler(StaleDataError)
    async def overtaken_write(request: Request, exc: StaleDataError) -> Response:
        # A write whose row another transaction changed since it was read (the services turn an edit's
        # into an EditConflict with the current version; this is any other write, e.g. a status change).
        return await domain_error(request, stale_problem(exc))

    @app.exception_handler(OperationalError)
    async def database_error(request: Request, exc: OperationalError) -> Response:
        # Another process (the worker) held SQLite's write lock past the busy timeout: a retry will do.
        if "database is locked" not in str(exc.orig):
            raise exc
        log.warning("database locked for %s %s", request.method, request.url.path)
        return await domain_error(request, BusyError())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        # The first few say what is wrong; thousands (a body of unknown keys) would only make a huge answer.
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:MAX_LISTED_ERRORS])
        if len(errors) > MAX_LISTED_ERRORS:
            detail += f"; and {len(errors) - MAX_LISTED_ERRORS} more problems"
        if _is_admin_page(request):
            return _admin_error_page(request, 422, detail)
        if _is_help_center_page(request) and _wants_html(request):  # a visitor's page, not JSON
            return _help_center_error_page(request, 422)
        return JSONResponse({"error": "invalid", "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if 300 <= exc.status_code < 400:  # a page that moved (``deps.page_locale``): its headers say where
            return Response(status_code=exc.status_code, headers=exc.headers)
        if _is_admin_page(request) and _wants_html(request):
            response = _admin_error_page(request, exc.status_code, str(exc.detail))
        elif exc.status_code == 404 and _wants_html(request):
            response = _not_found_page(request)
        else:
            code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
            response = JSONResponse({"error": code, "detail": str(exc.detail)}, status_code=exc.status_code)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route of the path's methods
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (one path often has a route per method)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(c.path)) + "$"), set(c.methods or ()))
            for c in iter_route_contexts(request.app.routes)
            if isinstance(c.route, APIRoute) and c.path is not None
        ]
        request.app.state.allowed_methods = table
    path = request.url.path
    return sorted({method for pattern, methods in table if pattern.match(path) for method in methods})


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith("/api/") and "application/json" not in accept


def _not_found_page(request: Request) -> Response:
    locale = _page_locale(request)
    slug = request.path_params.get("slug", "")
    query = slug.replace("-", " ")
    return templates.TemplateResponse(request, "hc/not_found.html", {"locale": locale, "query": query}, status_code=404)


def _page_locale(request: Request) -> str:
    """The help-center page's locale from its path, or the default one where the path names none we serve."""
    settings: Settings = request.app.state.settings
    return settings.configured_locale(request.path_params.get("locale", "")) or settings.default_locale


def _is_help_center_page(request: Request) -> bool:
    return request.url.path.startswith("/hc/")


def _help_center_error_page(request: Request, status_code: int) -> Response:
    """A refused help-center request as a page in its language (the detail is for developers: not shown)."""
    context = {"locale": _page_locale(request), "status_code": status_code}
    return templates.TemplateResponse(request, "hc/error.html", context, status_code=status_code)


def _is_admin_page(request: Request) -> bool:
    return request.url.path.startswith("/admin")


def _admin_error_page(request: Request, status_code: int, detail: str) -> Response:
    # The error page has no user menu: the failing request may not have resolved one, so its language is
    # the one the user's pages left in a cookie, else the browser's (admin_ui.ui_locale). A message marked
    # with N_ where it is raised has a translation; others stay English.
    detail = gettext_for(ui_locale(request, None))(detail)
    return page(
        request, "admin/error.html", {"status_code": status_code, "detail": detail}, user=None, status_code=status_code
    )
