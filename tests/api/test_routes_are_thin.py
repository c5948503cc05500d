"""Routers only translate HTTP: no module under ``api/routes/`` builds a query or ends a transaction.

Queries and rules live in the services (``core``, ``helpcenter``, ``support``); the request's session is
committed by ``api.deps.get_session`` and a refused form is rolled back by ``api.errors.FormRefused``'s
handler. A router that does either itself is where rules start to drift from the services.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROUTES = Path(__file__).resolve().parents[2] / "api" / "routes"
FORBIDDEN = {
    "select(": "builds a query",
    "session.exec": "runs a query (session.exec / session.execute)",
    "session.get(": "loads a row by id",
    "session.query": "builds a query",
    "session.commit": "commits",
    "rollback": "rolls back",
}


def _findings(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for needle, what in FORBIDDEN.items():
            if re.search(re.escape(needle), line):
                found.append(f"line {number} {what}: {line.strip()}")
    return found


@pytest.mark.parametrize("module", sorted(ROUTES.glob("*.py")), ids=lambda p: p.name)
def test_no_router_queries_or_commits(module: Path) -> None:
    assert _findings(module.read_text(encoding="utf-8")) == []


def test_the_check_sees_what_it_forbids() -> None:
    sample = "rows = session.exec(select(User)).all()\nsession.rollback()\nsession.get(User, 1)\nsession.commit()"
    assert len(_findings(sample)) == 5
    assert _findings("accounts.get_user(session, user_id=1)") == []
