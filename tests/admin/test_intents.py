"""The intents editor end to end: roles, CSRF, create/edit/delete, YAML export and import, retrain queue, XSS."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import Role
from core.db import Bind, open_session
from core.settings import Settings
from support.models import FaqIntent, JobStatus, TrainingJob
from tests.admin.conftest import csrf_token

MINI = Path(__file__).resolve().parent.parent / "fixtures" / "mini_faq.yaml"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Elements(HTMLParser):
    """Start tags with their attributes, and the text inside <textarea>s."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.textareas: dict[str, str] = {}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "textarea":
            self._in = dict(attrs).get("name") or ""
            self.textareas[self._in] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.textareas[self._in] += data


def form(client: TestClient, path: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(client, path), "kind": "faq", "article": ""} | fields


def create(client: TestClient, intent_id: str, **fields: str) -> TestClient:
    data = form(client, "/admin/intents/new-intent", intent_id=intent_id) | {
        "examples_en": f"How does {intent_id} work?\nTell me about {intent_id}",
        "answer_en": f"This is how **{intent_id}** works.",
    }
    response = client.post("/admin/intents", data=data | fields)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"/admin/intents/{intent_id}?notice=created"
    return client


def stored(engine: Bind, intent_id: str) -> FaqIntent | None:
    with open_session(engine) as session:
        return session.get(FaqIntent, intent_id)


def jobs(engine: Bind) -> list[TrainingJob]:
    with open_session(engine) as session:
        return list(session.exec(select(TrainingJob)).all())


PAGES = ["/admin/intents", "/admin/intents/new-intent", "/admin/intents/export-yaml", "/admin/training"]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", PAGES)
def test_pages_are_for_editors_and_admins(as_role: Callable[[Role], TestClient], role: Role, path: str) -> None:
    response = as_role(role).get(path)
    assert response.status_code == (403 if role is Role.agent else 200), response.text[:300]


@pytest.mark.parametrize("role", list(Role))
def test_actions_are_for_editors_and_admins(as_role: Callable[[Role], TestClient], role: Role) -> None:
    client = as_role(role)
    token = csrf_token(client, "/admin/")
    intent_id = f"perm_{role.value}"
    fields = {"csrf_token": token, "intent_id": intent_id, "examples_en": f"perm {role.value}?", "answer_en": "Yes."}
    posts = [
        ("/admin/intents", fields),
        (f"/admin/intents/{intent_id}", fields | {"examples_en": f"perm {role.value} again?"}),
        (f"/admin/intents/{intent_id}/delete", {"csrf_token": token}),
        ("/admin/training", {"csrf_token": token}),
    ]
    for path, data in posts:
        response = client.post(path, data=data)
        assert response.status_code == (403 if role is Role.agent else 303), (path, response.text[:300])
    response = client.post(
        "/admin/intents/import-yaml",
        data={"csrf_token": token, "mode": "merge"},
        files={"file": ("f.yaml", b"intents: []\n", "application/yaml")},
    )
    assert response.status_code == (403 if role is Role.agent else 422)


def test_forms_without_a_valid_csrf_token_are_refused(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, db_bind: Bind
) -> None:
    client = as_role(Role.editor)
    fields = {"intent_id": "csrf_probe", "examples_en": "probe?", "answer_en": "Probe."}
    for token in (None, "forged"):
        data = fields | ({"csrf_token": token} if token else {})
        assert client.post("/admin/intents", data=data).status_code == 403
        assert client.post("/admin/training", data={"csrf_token": token} if token else {}).status_code == 403
    assert stored(db_bind, "csrf_probe") is None


def test_create_edit_and_delete_queue_a_retrain(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, db_bind: Bind
) -> None:
    client = create(as_role(Role.editor), "track_order")
    page = client.get("/admin/intents/track_order?notice=created")
    assert page.status_code == 200 and "A retrain is queued" in page.text
    fields = Elements(page.text).textareas
    assert fields["examples_en"].strip() == "How does track_order work?\nTell me about track_order"
    assert "<strong>track_order</strong>" in page.text  # the answer's preview, rendered server-side
    assert any(attrs.get("data-preview") == "preview_en" for tag, attrs in Elements(page.text).tags)
    data = form(client, "/admin/intents/track_order") | {
        "kind": "faq",
        "article": "tracking-your-order",
        "examples_en": "Where is my order?\n\nwhere is   MY order?\nTrack my parcel",
        "answer_en": "Open **Orders**.",
        "examples_de": "Wo ist meine Bestellung?",
        "answer_de": "Öffnen Sie **Bestellungen**.",
    }
    response = client.post("/admin/intents/track_order", data=data)
    assert response.status_code == 303 and response.headers["location"] == "/admin/intents/track_order?notice=saved"
    row = stored(db_bind, "track_order")
    assert row is not None and row.examples == {
        "en": ["Where is my order?", "Track my parcel"],
        "de": ["Wo ist meine Bestellung?"],
    }
    assert row.article == "tracking-your-order" and row.updated_by == "editor@example.com"
    listing = client.get("/admin/intents?q=PARCEL")
    assert "track_order" in listing.text and "tracking-your-order" in listing.text
    assert "1 intent" in listing.text
    queued = [j for j in jobs(db_bind) if j.status is JobStatus.queued]
    assert len(queued) == 1  # every change joined the one waiting job; nothing trained in a request
    response = client.post("/admin/intents/track_order/delete", data={"csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 303 and stored(db_bind, "track_order") is None
    assert client.get("/admin/intents/track_order").status_code == 404


def test_invalid_intents_are_explained_and_not_saved(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, db_bind: Bind
) -> None:
    client = create(as_role(Role.editor), "refund_status")
    cases = [
        ({"intent_id": "Bad Id"}, "id must match [a-z0-9_]+"),
        ({"intent_id": "refund_status"}, "already exists"),
        ({"intent_id": "empty", "examples_en": "  \n "}, "intent has no examples"),
        ({"intent_id": "stolen", "examples_en": "how does REFUND_STATUS work?"}, "is also an example of intent"),
        ({"intent_id": "odd_kind", "kind": "chitchat"}, "kind must be one of"),
        ({"intent_id": "mistyped", "article": "tracking-yuor-order"}, "no help-center article has the slug"),
    ]
    for fields, message in cases:
        data = form(client, "/admin/intents/new-intent") | {"examples_en": "A new question?", "answer_en": "A."}
        response = client.post("/admin/intents", data=data | fields)
        assert response.status_code == 422, fields
        assert message in response.text, (fields, response.text[:2000])
        assert 'value="' + fields["intent_id"] + '"' in response.text  # the editor keeps what was typed
    assert stored(db_bind, "no_answer") is None and stored(db_bind, "stolen") is None
    assert stored(db_bind, "mistyped") is None
    editor = client.get("/admin/intents/refund_status")  # the article field offers the slugs that exist
    assert '<option value="tracking-your-order">' in editor.text
    too_long = form(client, "/admin/intents/refund_status") | {"examples_en": "x" * 100_001, "answer_en": "A."}
    assert client.post("/admin/intents/refund_status", data=too_long).status_code == 422


def test_examples_and_answers_are_shown_escaped(as_role: Callable[[Role], TestClient]) -> None:
    client = create(as_role(Role.editor), "xss_probe", examples_en=f"Question {XSS}", answer_en=f"Answer {XSS}")
    for path in ("/admin/intents/xss_probe", "/admin/intents?q=alert"):
        page = client.get(path)
        assert page.status_code == 200
        elements = Elements(page.text)
        assert [attrs.get("src") for tag, attrs in elements.tags if tag == "script"] == ["/static/admin.js"]
        assert not any(name.startswith("on") for _, attrs in elements.tags for name in attrs)
    assert Elements(client.get("/admin/intents/xss_probe").text).textareas["examples_en"] == f"Question {XSS}"


def test_export_downloads_yaml_that_imports_again(
    as_role: Callable[[Role], TestClient], admin_settings: Settings
) -> None:
    client = create(as_role(Role.admin), "export_probe")
    response = client.get("/admin/intents/export-yaml")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="faqdesk-intents.yaml"'
    assert response.headers["content-type"].startswith("application/yaml")
    assert "id: export_probe" in response.text
    upload = client.post(
        "/admin/intents/import-yaml",
        data={"csrf_token": csrf_token(client, "/admin/intents"), "mode": "merge"},
        files={"file": ("faqdesk-intents.yaml", response.content, "application/yaml")},
    )
    assert upload.status_code == 303 and upload.headers["location"] == "/admin/intents?created=0&updated=0&deleted=0"


def test_import_merges_or_replaces_and_lists_every_problem(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, db_bind: Bind
) -> None:
    client = create(as_role(Role.editor), "kept_by_merge")

    def upload(content: bytes, mode: str, name: str = "faq.yaml") -> Any:
        return client.post(
            "/admin/intents/import-yaml",
            data={"csrf_token": csrf_token(client, "/admin/intents"), "mode": mode},
            files={"file": (name, content, "application/yaml")},
        )

    response = upload(MINI.read_bytes(), "merge")
    assert response.status_code == 303 and "created=6" in response.headers["location"]
    assert "Imported: 6 created" in client.get(response.headers["location"]).text
    assert stored(db_bind, "kept_by_merge") is not None
    bad = (
        b"intents:\n  - id: ok_one\n    examples:\n      en: [Fine]\n    answer:\n      en: Yes\n"
        b"  - id: Nope\n    examples:\n      fr: [Salut]\n"
    )
    response = upload(bad, "replace")
    assert response.status_code == 422
    text = response.text
    assert "faq.yaml:7: intent &#39;Nope&#39;: id must match [a-z0-9_]+" in text
    assert "unknown locale &#39;fr&#39;" in text and "nothing changed" in text
    assert stored(db_bind, "kept_by_merge") is not None and stored(db_bind, "ok_one") is None
    assert upload(b"\xff\xfe not utf-8", "merge").status_code == 422
    response = upload(MINI.read_bytes(), "replace")
    assert response.status_code == 303 and "deleted=" in response.headers["location"]
    assert stored(db_bind, "kept_by_merge") is None and stored(db_bind, "pause_subscription")


def test_import_refuses_an_alias_bomb_and_deep_nesting_with_the_reason(as_role: Callable[[Role], TestClient]) -> None:
    client = as_role(Role.editor)
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
    )
    for content, words in ((bomb, "aliases expand"), ("[" * 5000 + "]" * 5000, "nested more than 50 levels")):
        response = client.post(
            "/admin/intents/import-yaml",
            data={"csrf_token": csrf_token(client, "/admin/intents"), "mode": "merge"},
            files={"file": ("bomb.yaml", content.encode(), "application/yaml")},
        )
        assert response.status_code == 422 and words in response.text


def test_training_page_lists_jobs_and_queues_a_retrain(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, db_bind: Bind
) -> None:
    client = as_role(Role.admin)
    response = client.post("/admin/training", data={"csrf_token": csrf_token(client, "/admin/training")})
    assert response.status_code == 303 and response.headers["location"] == "/admin/training?queued=1"
    page = client.get("/admin/training?queued=1")
    assert "Retrain queued." in page.text and "A retrain is queued" in page.text
    queued = [j for j in jobs(db_bind) if j.status is JobStatus.queued]
    assert len(queued) == 1 and f"#{queued[0].id}" in page.text
    assert "Retrain now" in page.text and "Active model" in page.text
