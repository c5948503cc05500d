"""faqdesk export / import: a database built through the services goes out as JSON lines and comes back
whole into an empty database (SQLite and PostgreSQL, across the two as well), or not at all."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from core import accounts
from core.accounts import Role, User
from core.db import make_engine, session_scope
from faqdesk.cli import app
from helpcenter import articles, categories, media, public
from helpcenter.markdown import render
from helpcenter.models import ArticleStatus
from migrations import upgrade
from support import appearance, canned, conversations, handoffs, intents, outcomes, transfer
from support.models import Handoff, Message, Outcome, Sender
from support.transfer_records import TransferError
from tests.db import POSTGRES_URL, fresh_postgres_database, postgres_engine
from tests.support.handoff_fixtures import MONDAY_NOON, make_conversation, support_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LOCALES = ["en", "de", "nl"]
runner = CliRunner()


# --- databases -----------------------------------------------------------------------------------------


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated, empty SQLite database."""
    url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
    upgrade(url)
    return url


@pytest.fixture()
def postgres_url() -> Iterator[str | None]:
    """A fresh, migrated, empty PostgreSQL database next to the tests' one (None without PostgreSQL)."""
    admin = postgres_engine()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
        yield None
        return
    with fresh_postgres_database(admin, prefix="faqdesk_import") as url:
        yield url


@pytest.fixture(scope="module")
def source(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The module's database (SQLite, then PostgreSQL), filled once with everything an export carries."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        build_rich_database(session, media_dir=tmp_path_factory.mktemp("media"))
    yield engine
    engine.dispose()


def build_rich_database(session: Session, *, media_dir: Path) -> None:
    """Categories, articles in three locales with revisions, a renamed slug, a schedule, votes and views;
    intents in en/de/nl; conversations with bot turns, feedback, a handoff with a reply, a note and an outcome."""
    editor = accounts.create_user(session, email="ed@example.com", password="correct horse battery", role=Role.editor)
    agent = accounts.create_user(session, email="agent@example.com", password="correct horse battery", role=Role.agent)
    accounts.update_user(session, user=agent, name="Agnes Agent")
    png = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(png, format="PNG")
    image = media.save_upload(
        session,
        data=png.getvalue(),
        filename="röd.png",
        media_dir=media_dir,
        max_bytes=10**6,
        uploaded_by=editor.email,
        max_pixels=10**6,
    )
    billing = categories.create_category(
        session, slug="billing", names={"en": "Billing", "de": "Rechnung", "nl": "Facturen"}, position=2
    )
    categories.create_category(session, slug="empty", names={"en": "Nothing yet"}, descriptions={"en": "Soon ✨"})
    categories.update_category(session, category=billing, descriptions={"en": "Money matters"})
    group = uuid.uuid4().hex
    titles = {"en": "Paying by invoice", "de": "Zahlung per Rechnung", "nl": "Betalen op factuur"}
    for locale, title in titles.items():
        article = articles.create_article(
            session,
            locale=locale,
            title=title,
            body=f"# {title}\n\nÜber 30 Tage — 💶 *netto*.\u2028Zeile\r\n",
            author=editor.email,
            category_id=billing.id,
            tags=["invoice", locale],
            intents=["payment_methods"],
            translation_group=group,
            locales=LOCALES,
        )
        articles.set_status(session, article=article, status=ArticleStatus.published)
    english = articles.by_slug(session, locale="en", slug="paying-by-invoice")
    assert english is not None
    articles.update_article(session, article=english, author="ed@example.com", body="Second body\n")
    articles.update_article(session, article=english, author="ed@example.com", slug="invoices", title="Invoices")
    articles.restore_revision(session, article=english, number=1, author="ed@example.com")
    public.vote(session, article=english, helpful=True)
    public.vote(session, article=english, helpful=False, comment="Zu kurz 🙁")
    for _ in range(3):
        public.count_view(session, article=english)
    later = articles.create_article(
        session, locale="de", title="Neue Preise", body="Ab März.", author="ed@example.com", locales=LOCALES
    )
    articles.set_status(
        session, article=later, status=ArticleStatus.draft, publish_at=datetime.now(UTC) + timedelta(days=30)
    )
    archived = articles.create_article(session, locale="nl", title="Oud", body="", author="ed", locales=LOCALES)
    articles.set_status(session, article=archived, status=ArticleStatus.archived)

    intents.import_yaml(session, text=(FIXTURES / "mini_faq.yaml").read_text(), locales=LOCALES, user="ed")
    intents.save_intent(
        session,
        intent_id="opening_hours",
        kind="faq",
        article=None,
        examples={
            "en": ["When are you open?", "opening hours"],
            "de": ["Wann habt ihr geöffnet?", "Öffnungszeiten"],
            "nl": ["Wanneer zijn jullie open?", "openingstijden"],
        },
        answers={"en": "Mon–Fri 9–17.", "de": "Mo–Fr 9–17 Uhr.", "nl": "ma–vr 9–17 uur."},
        user="ed",
        locales=LOCALES,
    )

    settings = support_settings()
    canned.create_reply(
        session, title="Erstattung unterwegs", shortcut="erstattung", locale="de",
        body="Hallo {visitor_name}, das Geld ist unterwegs.", by=agent, settings=settings,
    )  # fmt: skip
    look = appearance.AppearanceInput(
        accent="#1F4E79", position="left", titles={"de": "Hilfe 🧭"}, avatar=image.stored_name, on_help_center=False
    )
    appearance.save_appearance(session, data=look, expected_version=None, updated_by=editor.email)
    chat = make_conversation(session, locale="en")  # two visitor messages and two bot turns
    answer = session.exec(select(Message).where(Message.conversation_id == chat.id, Message.decision == "answer")).one()
    question = session.exec(select(Message).where(Message.conversation_id == chat.id).order_by(col(Message.id))).first()
    answer.reply_to = question.id if question else None
    conversations.give_feedback(session, conversation=chat, message_id=answer.id or 0, helpful=True, now=MONDAY_NOON)
    handoff = handoffs.request_handoff(
        session, conversation=chat, email="visitor@example.org", name="Vera", message="Bitte helfen", settings=settings,
        now=MONDAY_NOON,
    )  # fmt: skip
    handoffs.reply(session, handoff=handoff, agent=agent, text="Hallo Vera, **gern**.", settings=settings,
                   now=MONDAY_NOON + timedelta(minutes=3))  # fmt: skip
    handoffs.note(session, handoff=handoff, agent=agent, text="called her", now=MONDAY_NOON + timedelta(minutes=4))
    handoffs.set_tags(session, handoff=handoff, tags=["billing", "VIP"])
    handoffs.resolve(session, handoff=handoff, agent=agent, settings=settings, now=MONDAY_NOON + timedelta(minutes=5))
    conversations.rate(session, conversation=chat, score=4, comment="schnell")
    quiet = make_conversation(session, locale="de", now=MONDAY_NOON - timedelta(hours=2))
    outcomes.close_due(session, now=MONDAY_NOON + timedelta(hours=3), window=timedelta(minutes=30))
    conversations.start_conversation(
        session, locale="nl", page_url="https://shop.example/nl", locales=LOCALES, default_locale="en"
    )  # never started: no messages
    assert quiet.outcome is not None


# --- helpers -------------------------------------------------------------------------------------------


def export_text(engine: Engine) -> str:
    out = io.StringIO()
    transfer.export(engine, out.write)
    return out.getvalue()


def without_time(export: str) -> list[str]:
    header, *records = export.split("\n")
    fields = json.loads(header)
    del fields["exported_at"]
    return [json.dumps(fields), *records]


def is_empty(engine: Engine) -> bool:
    with Session(engine) as session:
        return not any(transfer.content_counts(session).values()) and not session.exec(select(User)).first()


def targets(sqlite_url: str, postgres_url: str | None) -> list[str]:
    return [sqlite_url] + ([postgres_url] if postgres_url else [])


# --- round trip ----------------------------------------------------------------------------------------


def test_an_export_comes_back_whole_in_an_empty_database_of_either_kind(
    source: Engine, sqlite_url: str, postgres_url: str | None
) -> None:
    before = export_text(source)
    header = json.loads(before.split("\n")[0])
    assert header["kind"] == "faqdesk-export" and header["format"] == 1
    assert header["counts"] == {
        "user": 1, "media": 1, "category": 2, "article": 5, "intent": 7, "canned": 1, "appearance": 1,
        "conversation": 3,
    }  # fmt: skip
    assert "Über 30 Tage — 💶" in before  # text as written, not \u-escaped
    for url in targets(sqlite_url, postgres_url):
        engine = make_engine(url)
        try:
            report = transfer.import_lines(engine, before.split("\n"))
            assert report.skipped == [] and report.created_users == ["agent@example.com"]
            assert report.imported == header["counts"]
            assert without_time(export_text(engine)) == without_time(before)
            behaves_like_the_source(engine, source)
        finally:
            engine.dispose()


def behaves_like_the_source(engine: Engine, source: Engine) -> None:
    """What the services read from the imported database is what they read from the source."""
    with Session(engine) as new, Session(source) as old:
        for locale, slug in [("en", "invoices"), ("de", "zahlung-per-rechnung"), ("nl", "betalen-op-factuur")]:
            article, _ = public.find_published(new, locale=locale, slug=slug)
            was, _ = public.find_published(old, locale=locale, slug=slug)
            assert article is not None and was is not None
            assert (article.title, article.body, article.published_at) == (was.title, was.body, was.published_at)
            assert {a.locale for a in public.translations(new, article=article)} == set(LOCALES) - {locale}
        renamed, redirected = public.find_published(new, locale="en", slug="paying-by-invoice")
        assert redirected and renamed is not None and renamed.slug == "invoices"
        assert [r.number for r in articles.revisions(new, article=renamed)] == [4, 3, 2, 1]
        assert articles.changes_since(new, article=renamed, version=2).saves[0].article_version == 3
        assert articles.by_slug(new, locale="de", slug="neue-preise").publish_at is not None  # type: ignore[union-attr]
        assert intents.training_data(new) == intents.training_data(old)
        assert intents.export_yaml(new) == intents.export_yaml(old)
        assert [(r.title, r.shortcut, r.locale, r.body) for r in canned.list_replies(new)] == [
            ("Erstattung unterwegs", "erstattung", "de", "Hallo {visitor_name}, das Geld ist unterwegs.")
        ]
        look, was = appearance.get_appearance(new), appearance.get_appearance(old)
        assert (look.accent, look.position, look.titles, look.avatar, look.on_help_center) == (
            "#1f4e79", "left", {"de": "Hilfe 🧭"}, was.avatar, False
        )  # fmt: skip
        for chat in old.exec(select(Message.conversation_id).distinct()).all():
            assert transcript(new, chat) == transcript(old, chat)
        agent = new.exec(select(User).where(User.email == "agent@example.com")).one()
        assert (
            not agent.active and accounts.authenticate(new, email=agent.email, password="correct horse battery") is None
        )


def transcript(session: Session, conversation_id: str) -> list[tuple[object, ...]]:
    messages = session.exec(
        select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))
    ).all()
    ids = {m.id: i for i, m in enumerate(messages)}
    return [(m.sender, m.text, m.html, m.internal, m.helpful, ids.get(m.reply_to), m.created_at) for m in messages]


def test_a_handed_off_conversation_keeps_its_agent_outcome_and_rating(source: Engine, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        transfer.import_lines(engine, export_text(source).split("\n"))
        lines = [json.loads(line) for line in export_text(engine).split("\n")[1:] if line]
    finally:
        engine.dispose()
    chat = next(r for r in lines if r["kind"] == "conversation" and r["handoff"])
    assert chat["outcome"] == Outcome.handed_off.value and chat["rating"]["score"] == 4
    assert chat["handoff"]["assignee"] == chat["handoff"]["resolved_by"] == "agent@example.com"
    assert chat["handoff"]["tags"] == ["billing", "vip"] and chat["handoff"]["status"] == "resolved"
    replies = [m for m in chat["messages"] if m["sender"] == Sender.agent.value]
    assert [(m["text"], m["internal"], m["author"]) for m in replies] == [
        ("Hallo Vera, **gern**.", False, "agent@example.com"),
        ("called her", True, "agent@example.com"),
    ]
    assert chat["messages"][1]["reply_to"] == 0 and chat["messages"][1]["helpful"] is True
    assert chat["created_at"].endswith("+00:00") and len(chat["created_at"]) == len("2024-06-03T09:55:00.000000+00:00")


# --- refusals ------------------------------------------------------------------------------------------


def test_a_database_with_content_is_refused_and_merge_skips_what_exists(source: Engine, sqlite_url: str) -> None:
    export = export_text(source).split("\n")
    engine = make_engine(sqlite_url)
    try:
        transfer.import_lines(engine, export)
        with pytest.raises(TransferError, match=r"already has content \(1 media, 2 category, 5 article"):
            transfer.import_lines(engine, export)
        report = transfer.import_lines(engine, export, merge=True)
        assert report.imported == {} and report.created_users == []
        assert "article en/invoices (exists)" in report.skipped and "category billing (exists)" in report.skipped
        assert len(report.skipped) == 1 + 2 + 5 + 7 + 1 + 1 + 3
        assert without_time(export_text(engine)) == without_time("\n".join(export))  # nothing doubled
    finally:
        engine.dispose()


def header(**counts: int) -> str:
    return json.dumps({"kind": "faqdesk-export", "format": 1, "exported_at": "2026-01-01T00:00:00.000000+00:00",
                       "counts": counts})  # fmt: skip


CATEGORY = {"kind": "category", "slug": "a", "position": 0, "names": {}, "descriptions": {}, "version": 1}


def category(**changes: object) -> str:
    return json.dumps({k: v for k, v in (CATEGORY | changes).items() if v is not None})


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([header(category=2), category(), "{not json"], r"^line 3: not JSON"),
        ([header(category=1), category(kind="widget")], r"^line 2: unknown record kind 'widget'"),
        ([header().replace('"format": 1', '"format": 2')], r"^line 1: export format 2 is not one"),
        (['{"kind": "article"}'], r"^line 1: not a faqdesk export"),
        ([], r"^line 1: not a faqdesk export"),
        ([header(category=1), category(names=None)], r"^line 2: names: Field required"),
        ([header(category=1), category(position="1")], r"^line 2: position: Input should be a valid integer"),
        ([header(category=1), category(slug="a\x00b")], r"^line 2: text must not contain NUL"),
        ([header(category=2), category()], r"holds 1 category records, its header says 2"),
        ([header(category=2), category(), category()], r"^line 3: the category 'a' appears twice"),
        ([header(category=1), category(slug="x" * 121)], r"^line 2: category.slug is longer than 120"),
        ([header(category=1), category(position=2**40)], r"^line 2: category.position is out of range"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_written(sqlite_url: str, lines: list[str], message: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(TransferError, match=message):
            transfer.import_lines(engine, lines)
        assert is_empty(engine)
    finally:
        engine.dispose()


def test_a_reference_to_nothing_rolls_back_the_records_before_it(source: Engine, sqlite_url: str) -> None:
    lines = export_text(source).split("\n")
    number, line = next((i, line) for i, line in enumerate(lines, 1) if '"kind":"article"' in line)
    lines[number - 1] = line.replace('"category":"billing"', '"category":"gone"')
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(TransferError, match=rf"^line {number}: article .*no category 'gone'"):
            transfer.import_lines(engine, lines)
        assert is_empty(engine)  # the user, media and categories of the lines before were rolled back too
    finally:
        engine.dispose()


def records(export: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in export.split("\n") if line]


def as_lines(rows: list[dict[str, object]]) -> list[str]:
    return [json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows]


def test_ticket_numbers_are_kept_and_new_tickets_continue_after_them(
    source: Engine, sqlite_url: str, postgres_url: str | None
) -> None:
    rows = records(export_text(source))
    chat = next(r for r in rows if r.get("handoff"))
    chat["handoff"]["id"] = 41  # type: ignore[index]  # as if forty tickets had come before it
    for url in targets(sqlite_url, postgres_url):
        engine = make_engine(url)
        try:
            transfer.import_lines(engine, as_lines(rows))
            with session_scope(engine) as session:
                assert session.get(Handoff, 41) is not None  # "ticket #41" in emails and webhooks still is
                later = make_conversation(session, locale="en")
                handoff = handoffs.request_handoff(
                    session, conversation=later, email="n@example.org", name=None, message=None,
                    settings=support_settings(), now=MONDAY_NOON,
                )  # fmt: skip
                assert handoff.id == 42  # PostgreSQL's sequence was moved past the kept numbers
        finally:
            engine.dispose()


def test_message_html_is_rendered_again_not_taken_from_the_file(source: Engine, sqlite_url: str) -> None:
    rows = records(export_text(source))
    chat = next(r for r in rows if r.get("handoff"))
    for message in chat["messages"]:  # type: ignore[attr-defined]
        message["html"] = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    engine = make_engine(sqlite_url)
    try:
        transfer.import_lines(engine, as_lines(rows))
        with Session(engine) as session:
            stored = session.exec(select(Message).where(Message.conversation_id == chat["id"])).all()
    finally:
        engine.dispose()
    assert stored and all("onerror" not in m.html and "<script" not in m.html for m in stored)
    agent = next(m for m in stored if m.sender is Sender.agent and not m.internal)
    assert agent.html == render("Hallo Vera, **gern**.") and "<strong>gern</strong>" in agent.html
    assert all(m.html == "" for m in stored if m.sender is Sender.visitor)  # a visitor's words stay text


def test_content_in_a_locale_the_server_lacks_is_refused_before_anything_is_written(
    source: Engine, sqlite_url: str
) -> None:
    rows = records(export_text(source))
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(TransferError, match=r"article nl/betalen-op-factuur is in a locale .* add 'nl'"):
            transfer.import_lines(engine, as_lines(rows), locales=["en", "de"])
        intent = next(r for r in rows if r["kind"] == "intent" and r["id"] == "opening_hours")
        intent["examples"]["fr"] = ["Quand êtes-vous ouverts ?"]  # type: ignore[index]
        with pytest.raises(TransferError, match=r"would not train here: .*'fr'"):
            transfer.import_lines(engine, as_lines(rows), locales=LOCALES)  # it trained nowhere, unnoticed
        assert is_empty(engine)
    finally:
        engine.dispose()


# --- the command line ----------------------------------------------------------------------------------


def test_the_commands_export_to_a_file_or_stdout_and_import_once(
    source: Engine, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQDESK_DATABASE_URL", source.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FAQDESK_DATA_DIR", str(tmp_path / "var"))
    file = tmp_path / "backup.jsonl"
    exported = runner.invoke(app, ["export", str(file)])
    assert exported.exit_code == 0, exported.output
    assert (
        "exported 1 user, 1 media, 2 category, 5 article, 7 intent, 1 canned, 1 appearance, 3 conversation"
        in exported.stderr
    )
    to_stdout = runner.invoke(app, ["export", "-"])
    assert without_time(to_stdout.stdout) == without_time(file.read_text(encoding="utf-8"))

    monkeypatch.setenv("FAQDESK_DATABASE_URL", sqlite_url)
    tried = runner.invoke(app, ["import", "--dry-run", str(file)])
    assert tried.exit_code == 0 and "would import 1 user, 1 media, 2 category" in tried.stderr, tried.output
    engine = make_engine(sqlite_url)
    try:
        assert is_empty(engine)  # a dry run writes nothing
    finally:
        engine.dispose()
    imported = runner.invoke(app, ["import", str(file)])
    assert imported.exit_code == 0, imported.output
    assert (
        "imported 1 user, 1 media, 2 category, 5 article, 7 intent, 1 canned, 1 appearance, 3 conversation"
        in imported.stderr
    )
    assert "created deactivated accounts without a password for: agent@example.com" in imported.stderr
    again = runner.invoke(app, ["import", str(file)])
    assert again.exit_code == 2 and "already has content" in again.stderr and "nothing was imported" in again.stderr
    merged = runner.invoke(app, ["import", "--merge", str(file)])
    assert merged.exit_code == 0 and "skipped conversation" in merged.stderr and "imported nothing" in merged.stderr

    bad = tmp_path / "bad.jsonl"
    bad.write_text(file.read_text(encoding="utf-8").replace('"kind":"intent"', '"kind":"intnet"', 1))
    refused = runner.invoke(app, ["import", "--merge", str(bad)])
    assert refused.exit_code == 2 and "unknown record kind 'intnet'" in refused.stderr
    assert f"error: {bad}: line " in refused.stderr and "Traceback" not in refused.output
    with_bom = tmp_path / "saved-by-an-editor.jsonl"  # a BOM before the header, as Notepad writes
    with_bom.write_text("\ufeff" + file.read_text(encoding="utf-8"), encoding="utf-8")
    merged = runner.invoke(app, ["import", "--merge", str(with_bom)])
    assert merged.exit_code == 0 and "imported nothing" in merged.stderr, merged.output
    notes = tmp_path / "notes.txt"
    notes.write_text("what we said in the meeting\n")
    other = runner.invoke(app, ["import", str(notes)])
    assert other.exit_code == 2 and "not a format faqdesk recognises" in other.stderr
