"""Counting help-center visits: a page view without the ``faqdesk_hc`` cookie starts a new visit.

The cookie holds a random id and nothing else; every page view renews it for ``IDLE_MINUTES``, so one
visit counts once until the browser has been idle that long. Nothing about the visitor is stored: the
id is not even kept server-side (the visit row has only its locale and start time).

Routes return their own ``TemplateResponse``, and FastAPI does not copy headers from an injected
``Response`` onto a returned one, so the dependency leaves the cookie on ``request.state`` and the
router's route class (``VisitCookieRoute``) puts it on whatever response the page returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from api.deps import SessionDep, SettingsDep
from core.security import new_token
from helpcenter.visits import record_helpcenter_session

COOKIE = "faqdesk_hc"
IDLE_MINUTES = 30
# Crawlers and link previews are not people helping themselves; they would inflate the score.
_ROBOT = re.compile(r"bot|crawl|spider|slurp|preview|fetch|monitor|headless", re.IGNORECASE)


def is_robot(request: Request) -> bool:
    """Whether the caller says it is a crawler, link preview or monitor."""
    return bool(_ROBOT.search(request.headers.get("user-agent", "")))


def count_visit(request: Request, session: SessionDep, settings: SettingsDep) -> None:
    """Record a help-center session when this browser has none running; renew the cookie either way."""
    locale = request.path_params.get("locale", "")
    if locale not in settings.locales or request.method != "GET":
        return
    if is_robot(request):
        return
    visit_id = request.cookies.get(COOKIE)
    if not visit_id or len(visit_id) > 100:
        visit_id = new_token()
        record_helpcenter_session(session, locale=locale)
    request.state.hc_visit = (visit_id, settings.cookie_secure)


CountVisit = Depends(count_visit)
VisitDep = Annotated[None, CountVisit]


def set_visit_cookie(request: Request, response: Response) -> None:
    """Send (or renew) the visit cookie the dependency chose for this request."""
    pending = getattr(request.state, "hc_visit", None)
    if pending is None:
        return
    visit_id, secure = pending
    response.set_cookie(
        COOKIE, visit_id, max_age=IDLE_MINUTES * 60, path="/hc/", secure=secure, httponly=True, samesite="lax"
    )


class VisitCookieRoute(APIRoute):
    """A route that adds the visit cookie to the response its handler returns."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cookie(request: Request) -> Response:
            response = await handler(request)
            set_visit_cookie(request, response)
            return response

        return with_cookie
