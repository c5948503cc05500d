"""The intents editor's "try a phrase": the serving model's decision and candidates, recorded nowhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from bot.model import FaqModel
from bot.policy import PolicyConfig
from core.accounts import Role
from core.db import Bind, open_session
from core.errors import ValidationError
from support import trial
from support.models import Conversation, Message


def rows(engine: Bind) -> int:
    with open_session(engine) as session:
        count = sum(session.exec(select(func.count()).select_from(table)).one() for table in (Conversation, Message))
    return count


def test_an_editor_sees_the_decision_the_answer_and_the_candidates(
    as_role: Callable[[Role], TestClient], db_bind: Bind
) -> None:
    before = rows(db_bind)
    page = as_role(Role.editor).get("/admin/try-a-phrase", params={"q": "I forgot my password, how do I reset it?"})
    assert page.status_code == 200
    html = page.text
    assert 'class="decision decision-answer"' in html
    assert '<a href="/admin/intents/reset_password"><code>reset_password</code></a>' in html
    assert "How do I reset my password?" in html  # the intent's title, as a "Did you mean" button shows it
    assert "The answer the visitor gets" in html
    assert rows(db_bind) == before  # nothing recorded: no conversation, no message


def test_off_topic_and_other_languages(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    weather = editor.get("/admin/try-a-phrase", params={"q": "Wie wird das Wetter morgen in Hamburg?"}).text
    assert "decision-answer" not in weather and "<dd>de</dd>" in weather
    forced = editor.get("/admin/try-a-phrase", params={"q": "Wo ist meine Bestellung?", "locale": "de"}).text
    assert "<dd>de</dd>" in forced and "track_order" in forced


def test_the_phrase_is_escaped_and_bounded(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    html = editor.get("/admin/try-a-phrase", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert editor.get("/admin/try-a-phrase", params={"q": "x" * 501}).status_code == 422


def test_agents_may_not_and_no_model_is_said(as_role: Callable[[Role], TestClient], app_client: TestClient) -> None:
    assert as_role(Role.agent).get("/admin/try-a-phrase", params={"q": "hi"}).status_code == 403
    app_client.app.state.model = None  # type: ignore[attr-defined]
    page = as_role(Role.editor).get("/admin/try-a-phrase", params={"q": "hi"})
    assert page.status_code == 200 and "No model is serving yet" in page.text


def test_try_phrase_decides_like_a_first_turn(_demo_model: FaqModel) -> None:
    result = trial.try_phrase(_demo_model, text="  where   is my parcel  ", locale="en", config=PolicyConfig())
    assert result.text == "where is my parcel"
    assert result.candidates[0].intent == result.prediction.candidates[0].intent
    assert [c.probability for c in result.candidates] == sorted(
        (c.probability for c in result.candidates), reverse=True
    )
    assert result.margin == pytest.approx(result.prediction.confidence - result.prediction.threshold)
    with pytest.raises(ValidationError):
        trial.try_phrase(_demo_model, text="   ", locale=None, config=PolicyConfig())
