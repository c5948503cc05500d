"""The canned-reply pages: editors manage them, agents find them on the ticket in the visitor's locale."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from core.accounts import Role
from core.db import Bind, session_scope
from core.settings import Settings
from support import handoffs
from tests.admin.conftest import csrf_token
from tests.admin.test_inbox_live import new_handoff


def create(client: TestClient, **fields: str) -> Any:
    token = csrf_token(client, "/admin/canned")
    return client.post("/admin/canned", data={"csrf_token": token, **fields})


def test_an_editor_writes_canned_replies_and_an_unknown_placeholder_is_a_422(as_role: Any) -> None:
    editor: TestClient = as_role(Role.editor)
    page = editor.get("/admin/canned").text
    assert "{visitor_name}" in page and "{ticket_id}" in page  # the placeholders are explained
    title = f"Refund {uuid.uuid4().hex[:6]}"
    refused = create(editor, title=title, shortcut="", locale="en", body="Dear {customer}, your refund is on its way.")
    assert refused.status_code == 422
    assert "unknown placeholder {customer}" in refused.text
    assert "Dear {customer}, your refund is on its way.</textarea>" in refused.text  # what they typed is kept
    assert title not in editor.get("/admin/canned").text  # nothing saved

    created = create(editor, title=title, shortcut="refund", locale="en", body="Dear {visitor_name}, it is on its way.")
    assert created.status_code == 303
    listing = editor.get("/admin/canned").text
    reply_id = re.search(rf'href="/admin/canned/(\d+)">{title}<', listing)
    assert reply_id, listing


def test_agents_use_canned_replies_but_do_not_manage_them(as_role: Any) -> None:
    agent: TestClient = as_role(Role.agent)
    assert agent.get("/admin/canned").status_code == 403
    assert agent.get("/admin/canned/1").status_code == 403


def test_the_ticket_offers_the_replies_of_its_locale_filled_in(
    as_role: Any, db_bind: Bind, admin_settings: Settings
) -> None:
    editor: TestClient = as_role(Role.editor)
    agent: TestClient = as_role(Role.agent)
    tag = uuid.uuid4().hex[:6]
    assert (
        create(editor, title=f"Gruß {tag}", shortcut="", locale="de", body="Hallo {visitor_name}!").status_code == 303
    )
    assert (
        create(editor, title=f"Hi {tag}", shortcut="", locale="en", body="Hi {visitor_name}, #{ticket_id}").status_code
        == 303
    )
    handoff = new_handoff(db_bind, admin_settings)  # an English conversation
    with session_scope(db_bind) as s:
        stored = handoffs.get_handoff(s, handoff_id=handoff.id or 0)
        stored.name = "Ana <b>"
    page = agent.get(f"/admin/inbox/{handoff.id}").text
    assert 'data-canned-for="reply"' in page and '<script src="/static/canned.js" defer></script>' in page
    assert f"Hi {tag}" in page and f"Gruß {tag}" not in page
    assert f'<span class="canned-text">Hi Ana &lt;b&gt;, #{handoff.id}</span>' in page  # filled in, escaped


def test_a_save_from_an_older_version_is_a_409_with_the_editors_text(as_role: Any) -> None:
    editor: TestClient = as_role(Role.editor)
    title = f"Conflict {uuid.uuid4().hex[:6]}"
    assert create(editor, title=title, shortcut="", locale="en", body="one").status_code == 303
    match = re.search(rf'href="/admin/canned/(\d+)">{title}<', editor.get("/admin/canned").text)
    assert match
    url = f"/admin/canned/{match.group(1)}"
    token = csrf_token(editor, url)
    fields = {"csrf_token": token, "title": title, "shortcut": "", "locale": "en", "version": "1", "action": "save"}
    assert editor.post(url, data={**fields, "body": "two"}).status_code == 303
    stale = editor.post(url, data={**fields, "body": "mine"})
    assert stale.status_code == 409
    assert "Not saved: someone else changed this reply" in stale.text and "mine</textarea>" in stale.text
    unknown = editor.post(url, data={**fields, "version": "2", "body": "{nope}"})
    assert unknown.status_code == 422 and "unknown placeholder {nope}" in unknown.text
    assert editor.post(url, data={**fields, "action": "delete"}).status_code == 409  # from version 1: stale
    assert editor.post(url, data={**fields, "version": "2", "action": "delete"}).status_code == 303
    assert editor.get(url).status_code == 404
