"""Every back-office form, sent what a careless client or an attacker would send, answers with a 4xx or
a redirect and never a 500: absurd values in each of its fields, on path ids that are not numbers, do
not exist or overflow a database integer, and on ids of things that exist (so the fields reach the
services and the database: a NUL byte in an agent's reply once broke the session there)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.accounts import Role, User, create_api_token
from helpcenter.models import Article, Category
from support import canned
from support.intents import create_intent
from support.models import Handoff, Message, Sender
from tests.admin.conftest import csrf_token
from tests.app import app_session

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


def existing_ids(site_app: FastAPI) -> dict[str, str]:
    """An id of each kind of thing the forms act on, of a thing that exists: a handed-off conversation with
    a bot turn, a canned reply, an intent, an API token, the demo content's first article and category, the agent."""
    visitor = TestClient(site_app)
    started = visitor.post("/api/v1/conversations", json={"locale": "en"}).json()
    auth = {"Authorization": f"Bearer {started['token']}"}
    base = f"/api/v1/conversations/{started['id']}"
    assert visitor.post(f"{base}/messages", json={"text": "where is my order"}, headers=auth).status_code == 200
    assert visitor.post(f"{base}/handoff", json={"email": "ann@example.com"}, headers=auth).status_code == 201
    with app_session(site_app) as session:
        agent = session.exec(select(User).where(User.email == "agent@example.com")).one()
        reply = canned.create_reply(
            session, title="Hi", shortcut="hi", locale="en", body="Hello!", by=agent, settings=site_app.state.settings
        )
        admin = session.exec(select(User).where(User.email == "admin@example.com")).one()
        _, api_token = create_api_token(session, user=admin, name="fuzzed")
        turn = session.exec(
            select(Message).where(Message.conversation_id == started["id"], Message.sender == Sender.bot)
        ).first()
        ids = {
            "handoff_id": session.exec(select(Handoff).where(Handoff.conversation_id == started["id"])).one().id,
            "turn_id": turn.id if turn else None,
            "reply_id": reply.id,
            "article_id": session.exec(select(Article).order_by(col(Article.id))).first().id,  # type: ignore[union-attr]
            "category_id": session.exec(select(Category).order_by(col(Category.id))).first().id,  # type: ignore[union-attr]
            "intent_id": create_intent(
                session,
                intent_id="fuzzed",
                examples={"en": ["a question", "another question"]},
                answers={"en": "An answer."},
                article=None,
                user=admin.email,
                locales=["en"],
            ).id,
            "user_id": agent.id,
            "token_id": api_token.id,
            "conversation_id": started["id"],
            "number": 1,
        }
        session.commit()
    assert all(v is not None for v in ids.values()), ids
    return {name: str(value) for name, value in ids.items()}


def test_no_back_office_form_answers_a_500(as_role: Callable[[Role], TestClient], site_app: FastAPI) -> None:
    client = as_role(Role.admin)
    token = csrf_token(client, "/admin/articles")
    forms = admin_forms(site_app)
    assert len(forms) > 30  # the routes were found
    real = existing_ids(site_app)
    failures = []
    for template, fields in forms:
        paths = [_PARAM.sub(bad, template) for bad in BAD_IDS] if _PARAM.search(template) else [template]
        if _PARAM.search(template):  # last: a form that deletes what it acts on leaves 404s after it
            paths.append(_PARAM.sub(lambda m: real[m[0].strip("{}").split(":")[0]], template))
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
