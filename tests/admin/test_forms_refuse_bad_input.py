"""Every back-office form, sent what a careless client or an attacker would send, answers with a 4xx or
a redirect and never a 500: absurd values in each of its fields, and path ids that are not numbers, do
not exist or overflow a database integer."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from core.accounts import Role
from tests.admin.conftest import csrf_token

# What a field of any kind may be sent: nothing, words for numbers, numbers past any column's range, a
# NUL byte (PostgreSQL refuses it in text), a long non-Latin text, markup, and JSON where text belongs.
BAD_VALUES = ["", "abc", "-1", "99999999999999999999", "1e309", "a\x00b", "é" * 30_000, "<b>x</b>", "[]"]
ONE_BAD = ["", "abc", "a\x00b", "9" * 30]
BAD_IDS = ["abc", "0", "-1", "99999999999999999999", "a" * 300]
_PARAM = re.compile(r"\{\w+(?::\w+)?\}")


def admin_forms(app: FastAPI) -> list[tuple[str, list[str]]]:
    """Each back-office POST route and the names of its form fields."""
    return [
        (c.path, [param.alias for param in c.route.dependant.body_params])
        for c in iter_route_contexts(app.routes)  # included routers resolve lazily: not in app.routes
        if isinstance(c.route, APIRoute)
        and "POST" in c.route.methods
        and c.path.startswith("/admin")
        and not c.path.endswith("/logout")  # signing out would leave the other forms nothing to test
    ]


def test_no_back_office_form_answers_a_500(as_role: Callable[[Role], TestClient], site_app: FastAPI) -> None:
    client = as_role(Role.admin)
    token = csrf_token(client, "/admin/articles")
    forms = admin_forms(site_app)
    assert len(forms) > 30  # the routes were found
    failures = []
    for template, fields in forms:
        paths = [_PARAM.sub(bad, template) for bad in BAD_IDS] if _PARAM.search(template) else [template]
        fields = [name for name in fields if name != "csrf_token"]
        # Every field bad at once, then one bad field among plausible ones (so checks past the first run).
        forms = [dict.fromkeys(fields, bad) for bad in BAD_VALUES]
        forms += [{**dict.fromkeys(fields, "1"), name: bad} for name in fields for bad in ONE_BAD]
        for path in paths:
            for form in forms:
                response = client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
                if response.status_code >= 500 or "Traceback" in response.text:
                    failures.append((path[:80], {k: v[:12] for k, v in form.items()}, response.status_code))
    assert failures == []
