"""The misunderstood-question page: roles, CSRF, escaping and masking, actions end to end, deleting a chat."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from bot.encoder import Encoder
from core.accounts import Role
from core.db import Bind, open_session, session_scope
from support import intents
from support.models import (
    Conversation,
    FaqIntent,
    Handoff,
    JobStatus,
    Message,
    OutboxItem,
    OutboxKind,
    Sender,
    TrainingJob,
    utcnow,
)
from tests.admin.conftest import csrf_token

XSS = "<script>alert('pwned')</script>"
PAGE = "/admin/misunderstood"


@pytest.fixture()
def engine(db_bind: Bind) -> Bind:
    """Two intents the tests pick from, in the test's transaction; the test's connection."""
    with session_scope(db_bind) as s:
        intents.create_intent(
            s,
            intent_id="change_address",
            examples={"en": ["How do I change my address?"]},
            answers={"en": "In your account."},
            article=None,
            user="setup",
            locales=["en", "de", "nl"],
        )
        intents.create_intent(
            s,
            intent_id="track_order",
            examples={"en": ["Where is my order?"]},
            answers={"en": "See the tracking link."},
            article=None,
            user="setup",
            locales=["en", "de", "nl"],
        )
    return db_bind


def ask(engine: Bind, *texts: str, locale: str = "en", guess: str = "change_address") -> tuple[str, list[int]]:
    """A conversation whose questions the bot did not understand; its id and the visitor messages' ids."""
    with session_scope(engine) as s:
        conversation = Conversation(
            id=uuid.uuid4().hex, token_hash="0" * 64, locale=locale, started_at=utcnow(), has_question=True
        )
        s.add(conversation)
        s.flush()
        ids = []
        for text in texts:
            visitor = Message(conversation_id=conversation.id, sender=Sender.visitor, text=text)
            s.add(visitor)
            s.flush()
            s.add(
                Message(
                    conversation_id=conversation.id,
                    sender=Sender.bot,
                    text="?",
                    reply_to=visitor.id,
                    decision="suggest",
                    candidates=[{"intent": guess, "probability": 0.4}, {"intent": "track_order", "probability": 0.2}],
                )
            )
            ids.append(visitor.id or 0)
        return conversation.id, ids


def reviews(engine: Bind, ids: list[int]) -> list[str | None]:
    with open_session(engine) as s:
        return [s.get(Message, i).review for i in ids]  # type: ignore[union-attr]


def token(client: TestClient) -> str:
    return csrf_token(client, PAGE)


# --- who may see it ------------------------------------------------------------------------------


def test_editors_and_admins_see_the_queue_agents_do_not(
    as_role: Callable[[Role], TestClient], app_client: TestClient, engine: Bind
) -> None:
    ask(engine, "can I change where my parcel goes")
    for role in (Role.admin, Role.editor):
        response = as_role(role).get(PAGE)
        assert response.status_code == 200, response.text
        assert "can I change where my parcel goes" in response.text
        assert '<a href="/admin/misunderstood">Misunderstood</a>' in response.text
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    agent = as_role(Role.agent)
    assert agent.get(PAGE).status_code == 403
    assert 'href="/admin/misunderstood"' not in agent.get("/admin/inbox").text
    anonymous = app_client.get(PAGE)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/admin/login")


def test_agents_may_not_act(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    _, ids = ask(engine, "agent tries this")
    agent = as_role(Role.agent)
    form = {"csrf_token": csrf_token(agent, "/admin/inbox"), "message_id": [str(ids[0])]}
    for action in ("add", "new", "dismiss"):
        assert agent.post(f"{PAGE}/{action}", data=form | {"intent_id": "change_address"}).status_code == 403
    assert reviews(engine, ids) == [None]


def test_forms_without_a_valid_csrf_token_are_refused(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    _, ids = ask(engine, "csrf victim question")
    editor = as_role(Role.editor)
    for data in ({"message_id": [str(ids[0])]}, {"message_id": [str(ids[0])], "csrf_token": "forged"}):
        response = editor.post(f"{PAGE}/dismiss", data=data)
        assert response.status_code == 403 and "expired" in response.text
    assert reviews(engine, ids) == [None]


# --- what it shows -------------------------------------------------------------------------------


def test_visitor_text_is_escaped_and_masked(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    ask(engine, f"my address {XSS} mail piet@example.org or call +31 6 12345678 about order 12345678")
    page = as_role(Role.editor).get(PAGE).text
    assert XSS not in page
    assert html.escape(XSS, quote=False) in page or "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page
    assert "piet@example.org" not in page and "+31 6" not in page
    assert "mail [email] or call [phone] about order 12345678" in page


def test_groups_show_reasons_guesses_and_preselect_the_suggested_intent(
    as_role: Callable[[Role], TestClient], engine: Bind
) -> None:
    ask(engine, "deliver to my new home instead", "deliver to my new home address", guess="track_order")
    page = as_role(Role.editor).get(PAGE).text
    section = page[page.index("deliver to my new home") - 2000 :]
    section = section[section.index("<section") : section.index("</section>")]
    assert section.count('name="message_id"') == 2
    assert "not understood: 2" in section
    assert "track_order (2)" in section
    assert re.search(r'<option value="track_order" selected>', section)


def test_filters(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    ask(engine, "wo kann ich meine adresse ändern", locale="de")
    editor = as_role(Role.editor)
    assert "wo kann ich meine adresse" in editor.get(PAGE, params={"locale": "de"}).text
    assert "wo kann ich meine adresse" not in editor.get(PAGE, params={"locale": "nl"}).text
    assert "wo kann ich meine adresse" not in editor.get(PAGE, params={"since": "2999-01-01"}).text
    for params in ({"since": "yesterday"}, {"locale": "xx"}):
        response = editor.get(PAGE, params=params)
        assert response.status_code == 422 and "<html" in response.text


def test_the_page_groups_with_the_models_encoder_when_there_is_one(
    as_role: Callable[[Role], TestClient], engine: Bind, encoder: Encoder
) -> None:
    app = as_role(Role.editor).app
    ask(engine, "Do you sell gift cards?", "Can I buy a gift voucher?")
    previous = app.state.model  # type: ignore[attr-defined]
    app.state.model = SimpleNamespace(encoder=encoder, version="test")  # type: ignore[attr-defined]
    try:
        page = as_role(Role.editor).get(PAGE).text
    finally:
        app.state.model = previous  # type: ignore[attr-defined]
    assert "no model is loaded" not in page
    start = page.index("gift")
    section = page[page.rindex("<section", 0, start) : page.index("</section>", start)]
    assert "Do you sell gift cards?" in section and "Can I buy a gift voucher?" in section


# --- actions -------------------------------------------------------------------------------------


def queued_jobs(engine: Bind) -> int:
    with open_session(engine) as s:
        return len(s.exec(select(TrainingJob).where(col(TrainingJob.status) == JobStatus.queued)).all())


def test_add_to_intent_end_to_end(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    _, ids = ask(engine, "alter my shipping address", "my address changed, phone 030-1234567")
    editor = as_role(Role.editor)
    response = editor.post(
        f"{PAGE}/add",
        data={"csrf_token": token(editor), "message_id": [str(i) for i in ids], "intent_id": "change_address"},
    )
    assert response.status_code == 303 and response.headers["location"] == f"{PAGE}?notice=added"
    after = editor.get(response.headers["location"]).text
    assert "A retrain is queued" in after and "alter my shipping address" not in after
    with open_session(engine) as s:
        intent = s.get(FaqIntent, "change_address")
        assert intent is not None
        assert {"alter my shipping address", "my address changed, phone [phone]"} <= set(intent.examples["en"])
        assert "030-1234567" not in str(intent.examples)
    assert reviews(engine, ids) == ["added", "added"] and queued_jobs(engine) >= 1


def test_new_intent_end_to_end(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    _, ids = ask(engine, "is there a student discount", "discount for students?")
    editor = as_role(Role.editor)
    form = {
        "csrf_token": token(editor),
        "message_id": [str(i) for i in ids],
        "new_intent_id": "student_discount",
        "answer_en": "Yes, **10 %** with a student card.",
        "answer_de": "",
        "locale": "en",
        "since": "2020-01-01",
    }
    response = editor.post(f"{PAGE}/new", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?locale=en&since=2020-01-01&notice=created"
    assert "A retrain is queued" in editor.get(response.headers["location"]).text
    with open_session(engine) as s:
        intent = s.get(FaqIntent, "student_discount")
        assert intent is not None and intent.answers == {"en": "Yes, **10 %** with a student card."}
        assert intent.examples == {"en": ["is there a student discount", "discount for students?"]}
    assert reviews(engine, ids) == ["added", "added"]


def test_a_refused_new_intent_comes_back_as_it_was_typed(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    """A taken id was a bare error page: the answers written in every locale were gone."""
    _, ids = ask(engine, "can I pay with <b>klarna</b>", "klarna possible?", "unrelated question here")
    editor = as_role(Role.editor)
    form = {
        "csrf_token": token(editor),
        "message_id": [str(i) for i in ids[:2]],
        "new_intent_id": "change_address",  # taken
        "article": "payment-methods",
        "answer_en": "Yes: Klarna <i>and</i> PayPal.",
        "answer_nl": "Ja, met Klarna.",
        "locale": "en",
        "since": "2020-01-01",
    }
    refused = editor.post(f"{PAGE}/new", data=form)
    assert refused.status_code == 409 and "already exists" in html.unescape(refused.text)
    page = refused.text
    assert 'value="change_address" placeholder' not in page  # the id is in its input, not only in the select
    assert re.search(r'name="new_intent_id"[^>]*value="change_address"', page)
    assert re.search(r'name="article"[^>]*value="payment-methods"', page)
    assert ">Yes: Klarna &lt;i&gt;and&lt;/i&gt; PayPal.</textarea>" in page and ">Ja, met Klarna.</textarea>" in page
    ticked = re.findall(r'name="message_id" value="(\d+)" checked', page)
    assert sorted(ticked) == sorted(str(i) for i in ids[:2])  # the third stays unticked
    assert "<details open>" in page and 'value="2020-01-01"' in page
    assert reviews(engine, ids) == [None, None, None]

    nothing_ticked = editor.post(f"{PAGE}/add", data={"csrf_token": form["csrf_token"], "intent_id": "track_order"})
    assert nothing_ticked.status_code == 422 and "at least one question" in html.unescape(nothing_ticked.text)
    assert "<h1>Misunderstood questions</h1>" in nothing_ticked.text


def test_dismiss_end_to_end(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    _, ids = ask(engine, "zzz gibberish question")
    admin = as_role(Role.admin)
    response = admin.post(f"{PAGE}/dismiss", data={"csrf_token": token(admin), "message_id": [str(ids[0])]})
    assert response.status_code == 303
    assert "zzz gibberish" not in admin.get(response.headers["location"]).text
    assert reviews(engine, ids) == ["dismissed"]


def test_bad_action_input_is_a_clear_4xx(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    _, ids = ask(engine, "bad input question")
    editor = as_role(Role.editor)
    csrf = token(editor)
    one = [str(ids[0])]
    cases = [
        ("add", {"message_id": one, "intent_id": "no_such_intent"}, 404, "no intent"),
        ("add", {"message_id": one}, 422, "choose the intent"),
        ("add", {"intent_id": "change_address"}, 422, "at least one question"),
        ("dismiss", {"message_id": ["abc"]}, 422, "message_id"),
        ("dismiss", {"message_id": ["99999999999"]}, 422, "message_id"),
        ("dismiss", {"message_id": ["2000000000"]}, 404, "no visitor question"),
        ("new", {"message_id": one, "new_intent_id": "fresh_one"}, 422, "answer"),
        ("new", {"message_id": one, "answer_en": "x"}, 422, "id"),
        ("new", {"message_id": one, "new_intent_id": "Bad Id!", "answer_en": "x"}, 422, "[a-z0-9_]+"),
        ("new", {"message_id": one, "new_intent_id": "change_address", "answer_en": "x"}, 409, "already exists"),
    ]
    for action, data, status, text in cases:
        response = editor.post(f"{PAGE}/{action}", data={"csrf_token": csrf, **data})
        assert response.status_code == status, (action, data, response.text)
        assert text in html.unescape(response.text), (action, data)
    assert reviews(engine, ids) == [None]
    editor.post(f"{PAGE}/dismiss", data={"csrf_token": csrf, "message_id": one})
    again = editor.post(f"{PAGE}/dismiss", data={"csrf_token": csrf, "message_id": one})
    assert again.status_code == 409 and "already reviewed" in again.text


# --- deleting a conversation on request ----------------------------------------------------------


def test_admins_delete_a_conversation_with_its_outbox_items(
    as_role: Callable[[Role], TestClient], engine: Bind
) -> None:
    cid, ids = ask(engine, "please forget me, I am jan@example.nl")
    other_cid, _ = ask(engine, "someone else's question")
    with session_scope(engine) as s:
        s.add(Handoff(conversation_id=cid, email="jan@example.nl", locale="en"))
        for conversation_id in (cid, other_cid):
            s.add(
                OutboxItem(
                    kind=OutboxKind.webhook,
                    target="https://hooks.example.com",
                    event="handoff.created",
                    payload={"conversation_id": conversation_id, "transcript": [{"text": "..."}]},
                )
            )
    editor, admin = as_role(Role.editor), as_role(Role.admin)
    url = f"/admin/conversations/{cid}/delete"
    assert editor.post(url, data={"csrf_token": token(editor)}).status_code == 403
    assert admin.post(url, data={}).status_code == 403  # no CSRF token
    # The button is offered to admins, in a form of its own (Enter in the queue's form must never reach it).
    assert f'action="/admin/conversations/{cid}/delete"' in admin.get(PAGE).text
    assert "/admin/conversations/" not in editor.get(PAGE).text
    response = admin.post(url, data={"csrf_token": token(admin)})
    assert response.status_code == 303 and "notice=deleted" in response.headers["location"]
    assert "was deleted" in admin.get(response.headers["location"]).text
    with open_session(engine) as s:
        assert s.get(Conversation, cid) is None and s.get(Message, ids[0]) is None
        assert s.exec(select(Handoff).where(Handoff.conversation_id == cid)).first() is None
        left = [i.payload["conversation_id"] for i in s.exec(select(OutboxItem)).all()]
        assert cid not in left and other_cid in left
        assert s.get(Conversation, other_cid) is not None
    assert admin.post(url, data={"csrf_token": token(admin)}).status_code == 404
    bad = admin.post("/admin/conversations/not-a-hex-id!/delete", data={"csrf_token": token(admin)})
    assert bad.status_code == 422
