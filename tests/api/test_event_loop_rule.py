"""The rule that keeps one slow write from freezing every request: database work never runs on the event
loop. A handler or dependency that takes a session is a plain ``def`` (FastAPI runs it in its thread pool);
an ``async def`` one may read the request body, never the database."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.deps import SessionDep, get_session


def _nodes(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _nodes(sub)


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every API route with its full path (included routers are resolved lazily, so ``app.routes`` only
    lists them as one entry each)."""
    return [(c.path, c.route) for c in iter_route_contexts(app.routes) if isinstance(c.route, APIRoute)]


def _async_session_users(app: FastAPI) -> list[str]:
    offenders = []
    for path, route in api_routes(app):
        for node in _nodes(route.dependant):
            takes_session = any(sub.call is get_session for sub in node.dependencies)
            if takes_session and inspect.iscoroutinefunction(node.call):
                offenders.append(f"{path} {sorted(route.methods)}: {getattr(node.call, '__name__', node.call)}")
    return offenders


def test_no_async_handler_or_dependency_takes_a_database_session() -> None:
    app = create_app()
    assert len(api_routes(app)) > 60  # every router's routes are seen, not only the app's own
    assert _async_session_users(app) == []


def test_the_check_names_an_async_handler_that_takes_a_session() -> None:
    app = create_app()

    @app.post("/probe")
    async def probe(session: SessionDep) -> None:  # what the rule forbids
        return None

    assert _async_session_users(app) == ["/probe ['POST']: probe"]
