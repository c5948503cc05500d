"""The back office in English, German and Dutch: every visible string of the admin templates goes through
the catalogue, and each user's chosen language (else the browser's) is the one their pages speak."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import select

from api.app import create_app
from api.routes.admin_dashboard import display
from api.templating import templates
from core import accounts
from core.db import make_engine, session_scope
from core.i18n import accepted_locale
from core.settings import Settings
from support.metric_definitions import TABLES, TOP
from tests.admin.conftest import csrf_token, login, make_settings

ADMIN_TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates" / "admin"
# Visible text and the attributes a person reads (or hears from a screen reader).
READ_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt"}
# Text left as it is in every language: code, product and format names, units.
UNTRANSLATED = {"faqdesk", "Markdown", "CSAT", "UTC", "KiB", "CSV", "API", "JSON"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
PROSE = re.compile(r"[A-Za-z]{2,}[,.:;!?]? [A-Za-z]{2,}")
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')
COMPARISON = {("operator", "=="), ("operator", "!=")}


class _VisibleText(HTMLParser):
    """Collects text nodes and read attributes outside <code>, <kbd>, <pre>, <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._verbatim = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"code", "kbd", "pre", "script", "style"}:
            self._verbatim += 1
        self.found += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in {"code", "kbd", "pre", "script", "style"}:
            self._verbatim = max(0, self._verbatim - 1)

    def handle_data(self, data: str) -> None:
        if not self._verbatim:  # a macro's attribute fragments (name="...") arrive as text: not visible
            self.found.append(ATTRIBUTE.sub("", data))


def untranslated_text(source: str) -> list[str]:
    """Words a template shows without the catalogue: literal text outside ``{% trans %}`` (Jinja's own
    lexer finds it, every tag and expression becomes a blank) and prose in string literals that no
    ``_()`` receives."""
    markup: list[str] = []
    loose: list[str] = []
    in_trans = 0
    calls: list[bool] = []  # open parentheses, each: is it a gettext call's?
    tokens = [(kind, value) for _line, kind, value in templates.env.lex(source) if kind != "whitespace"]
    for i, (kind, value) in enumerate(tokens):
        if (kind, value) == ("operator", "("):
            calls.append(i > 0 and tokens[i - 1][1] in GETTEXT)
        elif (kind, value) == ("operator", ")") and calls:
            calls.pop()
        if kind == "name" and i and tokens[i - 1][0] == "block_begin":
            in_trans += {"trans": 1, "endtrans": -1}.get(value, 0)
        elif kind == "data" and not in_trans:
            markup.append(value)
        elif kind in {"variable_begin", "block_begin"}:
            markup.append(" ")
        elif kind == "string" and PROSE.search(value):
            called = any(calls)
            compared = tokens[i - 1] in COMPARISON or (i + 1 < len(tokens) and tokens[i + 1] in COMPARISON)
            if not (called or compared):
                loose.append(value)
    parser = _VisibleText()
    parser.feed("".join(markup))
    words = [w for text in parser.found for w in WORD.findall(text) if w not in UNTRANSLATED]
    return words + loose


@pytest.mark.parametrize("name", sorted(p.name for p in ADMIN_TEMPLATES.glob("*.html")))
def test_every_admin_template_shows_only_translated_text(name: str) -> None:
    assert untranslated_text((ADMIN_TEMPLATES / name).read_text(encoding="utf-8")) == []


def test_the_check_finds_text_outside_the_catalogue() -> None:
    """The check above is only as good as this: it sees bare text, attributes and unwrapped literals."""
    assert untranslated_text('<h1>{{ _("Inbox") }}</h1><p>{% trans n=1 %}{{ n }} reply{% endtrans %}</p>') == []
    assert untranslated_text("<h1>Inbox</h1>") == ["Inbox"]
    assert untranslated_text("{{ pgettext('widget', 'Chat with us') }}{{ f('Chat with us') }}") == ["'Chat with us'"]
    assert untranslated_text('<input placeholder="e.g. refunds" aria-label="{{ _(\'Search\') }}">') == ["refunds"]
    assert untranslated_text("<p>{{ 'none recorded' if x }}</p><code>faqdesk worker</code>") == ["'none recorded'"]
    assert untranslated_text("{% macro m() %} aria-invalid=\"true\"{% endmacro %}{% if c == 'a b' %}{% endif %}") == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-AT,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR, nl;q=0.5, de;q=0.4", "nl"),
        ("en;q=0.1, nl", "nl"),
        ("fr, *;q=0.5", None),
        ("de;q=0, nl;q=bad", None),
        ("", None),
    ],
)
def test_the_browser_language_is_the_best_available_one(header: str, expected: str | None) -> None:
    assert accepted_locale(header, ["en", "de", "nl"]) == expected


@pytest.fixture(scope="module")
def admin_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A database of the module's own: each test here builds and starts apps of its own over it."""
    return make_settings(tmp_path_factory.mktemp("ui-language"))


def _client(settings: Settings, language: str = "en") -> TestClient:
    client = TestClient(create_app(settings), follow_redirects=False)
    client.headers["Accept-Language"] = language
    return client


def _choose(client: TestClient, language: str) -> Response:
    token = csrf_token(client, "/admin/account")
    return client.post("/admin/account", data={"language": language, "csrf_token": token})


def _saved_language(settings: Settings, email: str) -> str | None:
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        user = session.exec(select(accounts.User).where(accounts.User.email == email)).one()
        value = user.ui_locale
    engine.dispose()
    return value


def test_the_login_page_follows_the_browser(admin_settings: Settings) -> None:
    with _client(admin_settings, "nl-BE,nl;q=0.9") as client:
        page = client.get("/admin/login").text
        assert '<html lang="nl">' in page and "<h1>Aanmelden</h1>" in page
        wrong = client.post(
            "/admin/login", data={"email": "agent@example.com", "password": "x" * 12, "csrf_token": csrf_token(client)}
        )
        assert wrong.status_code == 401 and "Verkeerd e-mailadres of wachtwoord" in wrong.text
    with _client(admin_settings, "fr") as client:
        assert "<h1>Sign in</h1>" in client.get("/admin/login").text


def test_each_user_chooses_the_back_office_language(admin_settings: Settings) -> None:
    """An agent (any role) saves German; their pages are German whatever the browser asks, until they
    go back to the browser's language. Other users are not affected."""
    with _client(admin_settings, "en-US") as client:
        login(client, "agent@example.com")
        account = client.get("/admin/account")
        assert account.status_code == 200 and 'value="de" lang="de"' in account.text
        saved = client.post(
            "/admin/account", data={"language": "de", "csrf_token": csrf_token(client, "/admin/account")}
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/admin/account?notice=saved"
        assert _saved_language(admin_settings, "agent@example.com") == "de"
        page = client.get("/admin/account?notice=saved").text
        assert '<html lang="de">' in page and "Gespeichert." in page and "<h1>Ihr Konto</h1>" in page
        inbox = client.get("/admin/inbox").text
        assert ">Posteingang</a>" in inbox and ">Abmelden</button>" in inbox and "Sign out" not in inbox

        refused = client.post(
            "/admin/account", data={"language": "fr", "csrf_token": csrf_token(client, "/admin/account")}
        )
        assert refused.status_code == 422 and "Diese Sprache ist nicht verfügbar." in refused.text
        assert _saved_language(admin_settings, "agent@example.com") == "de"

        _choose(client, "")
        assert _saved_language(admin_settings, "agent@example.com") is None
        assert '<html lang="en">' in client.get("/admin/account").text
    with _client(admin_settings, "en") as other:
        login(other, "editor@example.com")
        assert '<html lang="en">' in other.get("/admin/").text


def test_a_german_editor_works_in_german(admin_settings: Settings) -> None:
    """The main pages in German: no English heading, label or button left (the demo content stays as
    written), dates in German, the chart series named in German for the script."""
    with _client(admin_settings, "de-DE,de;q=0.9") as client:
        login(client, "editor@example.com")
        expected = {
            "/admin/": ["<h1>Übersicht</h1>", "Suchen ohne Ergebnis", ">Neuer Artikel</a>"],
            "/admin/articles": ["<h1>Artikel</h1>", ">Filtern</button>", "Seite 1 von", "veröffentlicht"],
            "/admin/articles/new": ["<h1>Neuer Artikel</h1>", "Text (Markdown)", ">Entwurf anlegen</button>"],
            "/admin/categories": ["<h1>Kategorien</h1>", ">Neue Kategorie</h2>"],
            "/admin/dashboard?start=2026-03-01&end=2026-03-04": [
                "<h1>Dashboard</h1>",
                "vom 1. März 2026 bis zum 4. März 2026",
                "Unterhaltungen pro Tag",
                # the written definitions too (support/metric_definitions.py), while the CSV keeps English
                '<h2 id="h-3">Zufriedenheit</h2>',
                "Bestätigter Anteil",
                "Abgeschlossene Unterhaltungen nur aus Grüßen oder Dank",
            ],
            "/admin/dashboard?start=2026-03-01&end=2026-03-04&locale=de": ["<h1>Dashboard</h1>", "Sprache: de."],
            "/admin/misunderstood": ["<h1>Missverstandene Fragen</h1>"],
            "/admin/review": ["<h1>Antworten prüfen</h1>", "Antwortgenauigkeit"],
            "/admin/media": ["<h1>Bilder</h1>", ">Hochladen</button>"],
            "/admin/tokens": ["<h1>API-Tokens</h1>", ">Token erstellen</button>"],
            "/admin/training": ["<h1>Training</h1>", ">Jetzt neu trainieren</button>"],
        }
        for path, phrases in expected.items():
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            for phrase in phrases:
                assert phrase in response.text, (path, phrase)
            for english in (">Sign out<", ">Articles<", ">Save<", ">Filter<", ">Locale<", "Skip to content"):
                assert english not in response.text, (path, english)
        csv = client.get("/admin/dashboard.csv").text
        assert "Closed conversations of greetings or thanks only" in csv and "Abgeschlossene" not in csv
        dashboard = client.get("/admin/dashboard").text
        series = re.findall(r'data-labels="([^"]+)"', dashboard)  # the chart script's series names
        assert [json.loads(html.unescape(names)) for names in series] == [
            ["Unterhaltungen"],
            ["Automatische Lösungsquote", "Übergabequote"],
            ["CSAT"],
        ]
        article = client.get("/admin/articles?locale=de").text
        first = re.search(r'href="/admin/articles/(\d+)"', article)
        assert first
        editor = client.get(f"/admin/articles/{first.group(1)}").text
        assert ">Speichern</button>" in editor and "Übersetzungen:" in editor and "im Hilfe-Center ansehen" in editor
        forbidden = client.get("/admin/users")
        assert forbidden.status_code == 403 and "<h1>Nicht erlaubt</h1>" in forbidden.text
        assert "das dürfen nur Admins" in forbidden.text  # the service's message, marked with N_ where raised
        missing = client.get("/admin/no-such-page")
        assert missing.status_code == 404 and '<p class="error" role="alert">Nicht gefunden</p>' in missing.text
        # The pages' own notices after an action (they were English on the review, inbox and misunderstood
        # pages), besides the common ones.
        notices = {
            "/admin/review?notice=skipped": "Übersprungen.",
            "/admin/misunderstood?notice=dismissed": "Verworfen: Diese Fragen sind nicht mehr in der Liste.",
            "/admin/articles?notice=saved": "Gespeichert.",
        }
        for path, notice in notices.items():
            assert f'<p class="notice" role="status">{notice}</p>' in client.get(path).text, path


def test_the_tables_say_how_many_rows_they_keep() -> None:
    """Their definitions write TOP out (so the catalogue holds whole sentences): they must say the same."""
    ranked = [t.definition for t in TABLES if " most " in t.definition]
    assert len(ranked) == 3 and all(f"the {TOP} most" in definition for definition in ranked)


def test_dashboard_figures_are_written_as_the_reader_writes_numbers() -> None:
    assert display("rate", 0.125, "de") == "12,5\u00a0%" and display("rate", 0.125) == "12.5\u00a0%"
    assert display("minutes", 3.25, "de") == "3,2\u00a0Min." and display("minutes", 3.25, "nl") == "3,2\u00a0min"
    assert display("ratio", 2.5, "nl") == "2,50" and display("count", 1234, "de") == "1234"
    assert display("rate", None, "de") == "—"


def test_live_updates_speak_the_agents_language(admin_settings: Settings) -> None:
    """What the inbox and ticket pages receive after loading (JSON pollers; the event streams share the same
    builders) is in the page's language too: the row's age and the transcript fragments."""
    with _client(admin_settings, "nl-NL,nl;q=0.9") as client:
        started = client.post("/api/v1/conversations", json={"locale": "nl"}).json()
        handoff = client.post(
            f"/api/v1/conversations/{started['id']}/handoff",
            json={"email": "piet@example.com", "name": "Piet"},
            headers={"Authorization": f"Bearer {started['token']}"},
        )
        assert handoff.status_code == 201, handoff.text
        ticket = handoff.json()["id"]
        login(client, "agent@example.com")
        rows = client.get("/admin/inbox/updates?since=0").json()["handoffs"]
        assert [row["age"] for row in rows if row["id"] == ticket] == ["zojuist"]
        page = f"/admin/inbox/{ticket}"
        noted = client.post(f"{page}/note", data={"text": "Bel hem terug.", "csrf_token": csrf_token(client, page)})
        assert noted.status_code == 303, noted.text
        fragment = client.get(f"{page}/updates?after=0").json()["html"]
        assert "Interne notitie" in fragment and "niet zichtbaar voor de bezoeker" in fragment
        assert "Internal note" not in fragment
