"""The answer-review page: roles, CSRF, masking and escaping, labels end to end, the precision shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.reviewed import Reviewed
from core.accounts import Role
from core.db import Bind, open_session, session_scope
from support import intents
from support.models import FaqIntent, Message
from tests.admin.conftest import csrf_token
from tests.support.test_review import sampled_turn

PAGE = "/admin/review"
XSS = "<script>alert('pwned')</script>"


@pytest.fixture()
def engine(db_bind: Bind) -> Bind:
    """The intents the sampled turns name, in the test's transaction; the test's connection."""
    with session_scope(db_bind) as s:
        for intent_id, kind in (("pause_subscription", "faq"), ("track_order", "faq"), ("talk_to_human", "handoff")):
            if s.get(FaqIntent, intent_id) is None:
                intents.create_intent(
                    s,
                    intent_id=intent_id,
                    examples={"en": [f"an example of {intent_id}"]},
                    answers={"en": "An answer."},
                    article=None,
                    user="setup",
                    locales=["en", "de", "nl"],
                    kind=kind,
                )
    return db_bind


def sampled(engine: Bind, text: str, *, key: float, decision: str = "answer") -> int:
    """A visitor question and its sampled bot turn (the support tests' helper); the turn's id."""
    with session_scope(engine) as s:
        intent = {"answer": "pause_subscription", "handoff": "talk_to_human"}.get(decision)
        turn = sampled_turn(s, text, key=key, decision=decision, intent=intent, sample_p=0.5)
        return turn.id or 0


def label_of(engine: Bind, turn_id: int) -> str | None:
    with open_session(engine) as s:
        turn = s.get(Message, turn_id)
        assert turn is not None
        return turn.label


def test_editors_see_the_next_turn_masked_and_escaped_agents_do_not(
    as_role: Callable[[Role], TestClient], app_client: TestClient, engine: Bind
) -> None:
    sampled(engine, f"{XSS} pause please, call me on +31 6 12345678", key=0.0001)
    page = as_role(Role.editor).get(PAGE)
    assert page.status_code == 200, page.text
    assert "&lt;script&gt;" in page.text and XSS not in page.text
    assert "[phone]" in page.text and "12345678" not in page.text
    assert 'data-key="y"' in page.text and 'data-key="1"' in page.text and 'data-key="o"' in page.text
    assert "Measured on reviewed answers" in page.text and "Target" in page.text
    assert '<script src="/static/review.js" defer></script>' in page.text
    assert as_role(Role.agent).get(PAGE).status_code == 403
    assert app_client.get(PAGE).status_code == 303


def test_a_label_is_one_post_and_the_queue_moves_on(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    first = sampled(engine, "how do I put my box on hold", key=0.00001)
    editor = as_role(Role.editor)
    token = csrf_token(editor, PAGE)
    response = editor.post(f"{PAGE}/{first}", data={"csrf_token": token, "label": "right"})
    assert response.status_code == 303 and response.headers["location"].startswith(PAGE + "?notice=example")
    assert label_of(engine, first) == "pause_subscription"
    with open_session(engine) as s:
        row = s.get(FaqIntent, "pause_subscription")
        assert row is not None and "how do I put my box on hold" in row.examples["en"]
    assert "how do I put my box on hold" not in editor.get(PAGE).text  # the next turn is shown
    again = editor.post(f"{PAGE}/{first}", data={"csrf_token": token, "label": "oos"})
    assert again.status_code == 409  # labelled already


def test_a_requested_handoff_is_confirmed_right_not_called_out_of_scope(
    as_role: Callable[[Role], TestClient], engine: Bind
) -> None:
    # Without "right" an editor could only call "I want a person" out of scope: five such labels at the
    # handoff's high confidence made the bot stop answering anything (threshold above 1), greetings too.
    turn = sampled(engine, "can I speak to someone please", key=0.00001, decision="handoff")
    editor = as_role(Role.editor)
    page = editor.get(PAGE)
    assert 'data-key="y"' in page.text and "Right: talk_to_human" in page.text
    response = editor.post(f"{PAGE}/{turn}", data={"csrf_token": csrf_token(editor, PAGE), "label": "right"})
    assert response.status_code == 303, response.text
    assert label_of(engine, turn) == "talk_to_human"


def test_bad_labels_and_forms_are_clear_4xx(as_role: Callable[[Role], TestClient], engine: Bind) -> None:
    turn = sampled(engine, "hmm", key=0.9, decision="suggest")
    editor = as_role(Role.editor)
    token = csrf_token(editor, PAGE)
    assert editor.post(f"{PAGE}/{turn}", data={"csrf_token": token, "label": "no_such_intent"}).status_code == 404
    assert editor.post(f"{PAGE}/{turn}", data={"csrf_token": token, "label": ""}).status_code == 422
    assert editor.post(f"{PAGE}/{2**40}", data={"csrf_token": token, "label": "oos"}).status_code == 422
    no_token = editor.post(f"{PAGE}/{turn}", data={"label": "oos"})
    assert no_token.status_code == 403 and "The form has expired" in no_token.text
    agent = as_role(Role.agent)
    assert agent.post(f"{PAGE}/{turn}", data={"csrf_token": token, "label": "oos"}).status_code == 403
    assert label_of(engine, turn) is None
    assert editor.get(PAGE, params={"locale": "xx"}).status_code == 422
    assert editor.get(PAGE, params={"after": "2"}).status_code == 422


def test_the_dashboard_shows_the_measured_precision_in_every_language(
    as_role: Callable[[Role], TestClient], engine: Bind
) -> None:
    turn = sampled(engine, "how do I put my box on hold", key=0.00001)
    editor = as_role(Role.editor)
    editor.post(f"{PAGE}/{turn}", data={"csrf_token": csrf_token(editor, PAGE), "label": "right"})
    admin = as_role(Role.admin)
    expected = {"en": "from 1 reviewed answer,", "de": "aus 1 geprüften Antwort,", "nl": "uit 1 beoordeeld antwoord,"}
    for language, words in expected.items():  # German and Dutch were a 500: the plural read "95%" as the count
        # The range holds the sampled turn's day (the helper's T0).
        page = admin.get("/admin/dashboard?start=2026-03-01&end=2026-03-03", headers={"Accept-Language": language})
        assert page.status_code == 200 and words in page.text, language


def test_the_dashboard_says_so_when_reviews_leave_a_locale_answering_nothing(
    as_role: Callable[[Role], TestClient], site_app: FastAPI
) -> None:
    serving = site_app.state.model
    admin = as_role(Role.admin)
    assert 'id="answers-nothing-' not in admin.get("/admin/dashboard").text
    wrong = Reviewed.of([(1.0, False, 1.0)] * 60)  # answers wrong at every confidence, the highest too
    site_app.state.model = serving.with_traffic({"en": serving.locales["en"].oos_share}, reviewed={"en": wrong})
    assert site_app.state.model.locales["en"].threshold > 1
    try:
        page = admin.get("/admin/dashboard", headers={"Accept-Language": "de"}).text
    finally:
        site_app.state.model = serving
    assert 'id="answers-nothing-en"' in page and 'id="answers-nothing-de"' not in page
    assert "In en beantwortet der Bot keine Frage direkt" in page  # in the reader's language
