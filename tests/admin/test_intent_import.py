"""The intents editor's upload: a spreadsheet or a Rasa project's files, previewed, then confirmed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from core.accounts import Role
from core.db import Bind, session_scope
from core.settings import Settings
from support import intents
from support.models import JobStatus
from tests.admin.conftest import csrf_token
from tests.admin.test_intents import Elements, create, jobs, stored
from tests.bot.test_spreadsheet import damaged_workbook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO_FAQ = Path(__file__).resolve().parents[2] / "training_data" / "faq"
RASA = FIXTURES / "rasa_project"
RASA_FILES = [
    RASA / "domain.yml",
    RASA / "data" / "responses.yml",
    RASA / "data" / "nlu" / "nlu.yml",
    RASA / "data" / "nlu" / "faq.yml",
    RASA / "data" / "nlu" / "chitchat.yml",
]
PAGE = "/admin/intents/import-file"


def upload(client: TestClient, files: list[tuple[str, bytes]], **fields: str) -> object:
    data = {"csrf_token": csrf_token(client, PAGE), "mode": "merge", "locale": "en"} | fields
    return client.post(PAGE, data=data, files=[("files", (name, content)) for name, content in files])


def test_agents_cannot_import(as_role: Callable[[Role], TestClient]) -> None:
    assert as_role(Role.agent).get(PAGE).status_code == 403


def test_a_rasa_project_is_previewed_then_imported(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, db_bind: Bind
) -> None:
    client = as_role(Role.editor)
    before = len(jobs(db_bind))
    preview = upload(client, [(path.name, path.read_bytes()) for path in RASA_FILES])
    assert preview.status_code == 200, preview.text[:2000]
    page = preview.text
    assert "What the import will change" in page and "faq_return_parcel" in page
    assert "example &#39;ok&#39; (en) under &#39;affirm&#39; (1x), &#39;deny&#39; (1x): dropped" in page
    assert "response utter_track_parcel: buttons left out" in page and "faqdesk-rasa-" not in page
    assert stored(db_bind, "faq_return_parcel") is None and len(jobs(db_bind)) == before
    carried = Elements(page).textareas["intents_yaml"]
    token = csrf_token(client, PAGE)
    done = client.post(
        "/admin/intents/import-confirm",
        data={"csrf_token": token, "mode": "merge"},
        files={"intents_yaml": (None, carried)},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/admin/intents?created=")
    assert "created=25" in done.headers["location"]
    intent = stored(db_bind, "book_pickup")
    assert intent is not None and intent.answers == {} and "schedule a parcel collection" in intent.examples["en"]
    assert any(job.status is JobStatus.queued for job in jobs(db_bind))  # the worker retrains
    listing = client.get("/admin/intents")
    assert "intents have no answer in a language they have questions in" in listing.text
    only = client.get("/admin/intents?unanswered=true").text
    assert "/admin/intents/book_pickup" in only and "/admin/intents/faq_return_parcel" not in only


def test_a_preview_confirmed_after_another_editor_changed_the_intents_imports_nothing(
    as_role: Callable[[Role], TestClient], db_bind: Bind
) -> None:
    client, other = as_role(Role.editor), as_role(Role.admin)
    rows = "question,intent,answer,locale\nWhere is my parcel?,where_parcel,Track it here.,en\n"
    preview = upload(client, [("faq.csv", rows.encode())], mode="replace")
    assert preview.status_code == 200
    state = next(a["value"] for tag, a in Elements(preview.text).tags if tag == "input" and a.get("name") == "state")
    create(other, "created_meanwhile")  # the preview's "replace" never listed it
    confirmed = client.post(
        "/admin/intents/import-confirm",
        data={"csrf_token": csrf_token(client, PAGE), "mode": "replace", "state": state or ""},
        files={"intents_yaml": (None, Elements(preview.text).textareas["intents_yaml"])},
    )
    assert confirmed.status_code == 422 and "changed since this preview" in confirmed.text
    assert stored(db_bind, "created_meanwhile") is not None and stored(db_bind, "where_parcel") is None


def test_a_spreadsheet_with_problems_is_refused_with_each_one(as_role: Callable[[Role], TestClient]) -> None:
    client = as_role(Role.editor)
    rows = "question,intent,answer,locale\nBonjour ?,hello,Salut,fr\n<script>alert(1)</script>,x,y,en\n"
    refused = upload(client, [("faq.csv", rows.encode())])
    assert refused.status_code == 422
    assert "faq.csv:2: intent &#39;hello&#39;: unknown locale &#39;fr&#39;" in refused.text
    assert "Nothing was imported" in refused.text
    wrong = upload(client, [("faq.pdf", b"%PDF-1.4")])
    assert wrong.status_code == 422 and "upload one spreadsheet (.csv, .xlsx)" in wrong.text


def test_a_spreadsheet_preview_escapes_what_it_shows(as_role: Callable[[Role], TestClient]) -> None:
    client = as_role(Role.editor)
    rows = 'question,intent,answer\n"<img src=x onerror=alert(1)>",img_intent,Hi\n'
    preview = upload(client, [("x.xlsx", (FIXTURES / "spreadsheet" / "faq.xlsx").read_bytes())])
    assert preview.status_code == 200 and "pause_subscription" in preview.text
    shown = upload(client, [("odd.csv", rows.encode())], mode="replace")
    assert shown.status_code == 200 and "<img src=x" not in shown.text and "&lt;img src=x" in shown.text


def test_the_csv_export_uploads_again_without_changes(as_role: Callable[[Role], TestClient], db_bind: Bind) -> None:
    with session_scope(db_bind) as session:  # the demo FAQ: three locales, answers and linked articles
        assert intents.seed_from_files(session, path=DEMO_FAQ, locales=["en", "de", "nl"]) > 0
    client = as_role(Role.editor)
    exported = client.get("/admin/intents/export-csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("intent,kind,locale,question,answer,title,article\n")
    preview = upload(client, [("faqdesk-intents.csv", exported.content)])
    assert preview.status_code == 200
    unchanged = next(line for line in preview.text.splitlines() if "Unchanged" in line and "<th" in line)
    created = next(line for line in preview.text.splitlines() if ">New<" in line)
    assert "<td>0</td>" in created and "<td>0</td>" not in unchanged


def test_hostile_rasa_files_are_refused_with_the_reason(as_role: Callable[[Role], TestClient]) -> None:
    """The upload's own parsers are bounded too: the JSON one was a RecursionError (a 500)."""
    client = as_role(Role.editor)
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
    )
    deep = "[" * 5000 + "]" * 5000
    for name, content, words in (
        ("nlu.yml", bomb, "aliases expand"),
        ("nlu.yml", deep, "nested more than 50 levels"),
        ("nlu.json", deep, "JSON nested too deeply"),
    ):
        response = upload(client, [(name, content.encode())])
        assert response.status_code == 422 and words in response.text, (name, response.text[:300])
    token = csrf_token(client, PAGE)
    confirmed = client.post("/admin/intents/import-confirm", data={"csrf_token": token, "intents_yaml": deep})
    assert confirmed.status_code == 422 and "nested more than 50 levels" in confirmed.text


def test_a_damaged_workbook_and_a_rasa_config_language_in_the_upload(as_role: Callable[[Role], TestClient]) -> None:
    client = as_role(Role.editor)
    # Its sheet's XML cut short: openpyxl's ParseError came out of the rows, a 500.
    damaged = upload(client, [("faq.xlsx", damaged_workbook("xl/worksheets/sheet1.xml", 300))])
    assert damaged.status_code == 422 and "faq.xlsx: not a readable XLSX workbook" in damaged.text
    # The uploaded config.yml names German: its intents are German whatever the form's default says.
    config = ("config.yml", b"recipe: default.v1\nlanguage: de\npipeline: []\n")
    preview = upload(client, [config, *[(path.name, path.read_bytes()) for path in RASA_FILES]], locale="en")
    assert preview.status_code == 200, preview.text[:2000]
    assert "config.yml names the language &#39;de&#39;" in preview.text
    carried = Elements(preview.text).textareas["intents_yaml"]
    assert "\n      de:" in carried and "\n      en:" not in carried
