"""A label sent twice by the same editor (a double key press, a resent form) is not another editor's conflict."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from core.accounts import Role
from core.db import Bind, open_session, session_scope
from support.models import Message
from tests.admin.conftest import csrf_token
from tests.support.test_review import sampled_turn

PAGE = "/admin/review"


def sampled(engine: Bind, text: str) -> int:
    with session_scope(engine) as s:
        return sampled_turn(s, text, key=0.00001, decision="suggest", intent=None, sample_p=0.5).id or 0


def test_the_same_label_again_from_the_same_editor_goes_on_to_the_next_turn(
    as_role: Callable[[Role], TestClient], db_bind: Bind
) -> None:
    turn = sampled(db_bind, "is this the repeat")
    editor = as_role(Role.editor)
    token = csrf_token(editor, PAGE)
    first = editor.post(f"{PAGE}/{turn}", data={"csrf_token": token, "label": "wrong"})
    assert first.status_code == 303
    again = editor.post(f"{PAGE}/{turn}", data={"csrf_token": token, "label": "wrong"})
    assert again.status_code == 303 and again.headers["location"].startswith(PAGE)
    with open_session(db_bind) as s:
        row = s.get(Message, turn)
        assert row is not None and row.label == "wrong"


def test_another_editors_label_is_still_a_conflict(as_role: Callable[[Role], TestClient], db_bind: Bind) -> None:
    turn = sampled(db_bind, "is this the repeat")
    admin = as_role(Role.admin)
    assert (
        admin.post(f"{PAGE}/{turn}", data={"csrf_token": csrf_token(admin, PAGE), "label": "wrong"}).status_code == 303
    )
    editor = as_role(Role.editor)
    again = editor.post(f"{PAGE}/{turn}", data={"csrf_token": csrf_token(editor, PAGE), "label": "wrong"})
    assert again.status_code == 409
