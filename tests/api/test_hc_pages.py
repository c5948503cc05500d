"""Public help-center pages, search API and sitemap over the demo content (SQLite)."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from bot import runtime
from helpcenter import categories, public
from helpcenter.models import Article, ArticleStatus, ArticleVote
from tests.admin.conftest import make_settings
from tests.servers import copy_cache

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CSS = Path(__file__).resolve().parents[2] / "api" / "static" / "hc.css"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    inside: list[str] = field(default_factory=list)  # tags of the open ancestors


class Page(HTMLParser):
    """Every element with its attributes and (unescaped) text content."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), inside=[e.tag for e in self._open])
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]

    @property
    def tags(self) -> list[str]:
        return [e.tag for e in self.elements]

    @property
    def links(self) -> list[dict[str, str | None]]:
        return [e.attrs for e in self.elements if e.tag == "link"]

    def text_of(self, tag: str | None = None, **attrs: str) -> str:
        return " ".join(self.one(tag, **attrs).text.split())


# --- the pages as before ---------------------------------------------------------------------------


def test_home_lists_categories_in_the_locale(client: TestClient) -> None:
    page = client.get("/hc/de/")
    assert page.status_code == 200
    doc = Page(page.text)
    assert doc.one("html").attrs["lang"] == "de"
    assert "Rücksendung und Erstattung" in page.text
    assert doc.tags.count("h1") == 1 and "main" in doc.tags and "header" in doc.tags
    category_links = {e.attrs["href"] for e in doc.find("a") if "h2" in e.inside}
    assert "/hc/de/categories/returns-and-refunds" in category_links
    assert "/hc/de/categories/gear-guides" not in category_links  # no articles: not listed


def test_article_page_with_breadcrumbs_translations_and_canonical(client: TestClient) -> None:
    page = client.get("/hc/en/articles/return-an-item")
    assert page.status_code == 200
    doc = Page(page.text)
    assert doc.tags.count("h1") == 1 and "h1" not in doc.tags[doc.tags.index("article") + 2 :]
    rels = {(link.get("rel"), link.get("hreflang")): link.get("href") for link in doc.links}
    assert rels[("canonical", None)] == "/hc/en/articles/return-an-item"
    assert rels[("alternate", "de")] == "/hc/de/articles/return-an-item"
    crumbs = doc.one("nav", aria_label="Breadcrumb")
    assert crumbs.text.split()[:2] == ["Help", "center"]
    crumb_links = [e.attrs["href"] for e in doc.find("a") if "nav" in e.inside and "ol" in e.inside]
    assert crumb_links == ["/hc/en/", "/hc/en/categories/returns-and-refunds"]


def test_renamed_slug_redirects_and_unknown_gets_a_helpful_404(client: TestClient) -> None:
    moved = client.get("/hc/en/articles/newsletter", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/hc/en/articles/newsletter-and-emails"
    missing = client.get("/hc/nl/articles/does-not-exist")
    assert missing.status_code == 404 and "/hc/nl/" in missing.text and "does not exist" in missing.text
    doc = Page(missing.text)
    assert doc.one("html").attrs["lang"] == "nl"
    assert doc.text_of("h1") == "We konden deze pagina niet vinden"
    assert client.get("/hc/fr/").status_code == 404


def test_search_page_escapes_the_query_and_finds_inflected_forms(client: TestClient) -> None:
    page = client.get("/hc/de/search", params={"q": "Rücksendungen"})
    assert page.status_code == 200 and "/hc/de/articles/return-an-item" in page.text
    status = Page(page.text).text_of(role="status")
    assert re.fullmatch(r"\d+ Ergebnis(se)? für „Rücksendungen“\.", status), status
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    for locale in ("en", "de", "nl"):
        xss = client.get(f"/hc/{locale}/search", params={"q": payload})
        assert xss.status_code == 200
        assert "<script>alert(1)" not in xss.text and "<img src=x" not in xss.text
        assert "&lt;script&gt;" in xss.text
        assert Page(xss.text).one("title").text.count("<script>") == 1  # the text, escaped in the markup


def test_search_without_a_query_invites_one(client: TestClient) -> None:
    doc = Page(client.get("/hc/nl/search").text)
    assert doc.text_of("h1") == "Zoeken in het helpcentrum"
    assert doc.one("meta", name="robots").attrs["content"] == "noindex"


def test_search_api(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "wachtwoord vergeten", "locale": "nl"})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["slug"] == "resetting-your-password" and first["url"] == "/hc/nl/articles/resetting-your-password"
    bad = client.get("/api/v1/search", params={"q": "", "locale": "nl"})
    assert bad.status_code == 422 and set(bad.json()) == {"error", "detail"}
    assert client.get("/api/v1/search", params={"q": "x", "locale": "xx"}).status_code == 404


def test_sitemap_lists_articles_with_hreflang_alternates(client: TestClient) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    urls = ET.fromstring(response.content).findall("s:url", SITEMAP_NS)
    assert len(urls) >= 100
    by_loc = {u.findtext("s:loc", namespaces=SITEMAP_NS): u for u in urls}
    entry = by_loc["http://testserver/hc/de/articles/return-an-item"]
    langs = {link.get("hreflang") for link in entry.findall("x:link", SITEMAP_NS)}
    assert langs == {"en", "de", "nl"}
    assert not any("secret-draft" in (loc or "") for loc in by_loc)


def test_the_sitemap_names_the_configured_address_not_the_hosts_a_request_names(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client.app.state.settings, "public_url", "https://help.example.com")  # type: ignore[attr-defined]
    forged = client.get("/sitemap.xml", headers={"Host": "evil.example"})
    locs = [
        u.findtext("s:loc", namespaces=SITEMAP_NS) or ""
        for u in ET.fromstring(forged.content).findall("s:url", SITEMAP_NS)
    ]
    assert locs and all(loc.startswith("https://help.example.com/hc/") for loc in locs)
    assert b"evil.example" not in forged.content


def test_sitemap_lists_category_pages_where_they_have_articles(client: TestClient) -> None:
    urls = ET.fromstring(client.get("/sitemap.xml").content).findall("s:url", SITEMAP_NS)
    by_loc = {u.findtext("s:loc", namespaces=SITEMAP_NS): u for u in urls}
    for locale in ("en", "de", "nl"):
        entry = by_loc[f"http://testserver/hc/{locale}/categories/returns-and-refunds"]
        alternates = {link.get("hreflang"): link.get("href") for link in entry.findall("x:link", SITEMAP_NS)}
        assert alternates["nl"] == "http://testserver/hc/nl/categories/returns-and-refunds"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", entry.findtext("s:lastmod", namespaces=SITEMAP_NS) or "")
    assert not any("gear-guides" in (loc or "") for loc in by_loc)


def test_health_and_readiness(client: TestClient, tmp_path: Path, warm_cache: Path) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    app_settings = make_settings(tmp_path)  # its own: a model trained by this test's other run is not "none"
    with TestClient(create_app(app_settings)) as untrained:
        not_ready = untrained.get("/readyz")
    assert not_ready.status_code == 503 and "no trained model" in not_ready.json()["detail"]
    # The session's encoder cache (ONNX export, glossaries), as a machine that ran before has it: training
    # here is about readiness, and a cold cache cost this test ~30 s.
    copy_cache(warm_cache, app_settings.cache_dir)
    runtime.train_and_activate(app_settings, FIXTURES / "mini_faq.yaml")
    with TestClient(create_app(app_settings)) as fresh:
        ready = fresh.get("/readyz").json()
        assert ready["status"] == "ok" and ready["article_vectors"] in ("building", "ready")
        # Suggestions' article vectors are built off the request path after the start, and it says when.
        deadline = time.monotonic() + 120
        while fresh.get("/readyz").json()["article_vectors"] != "ready":
            assert time.monotonic() < deadline, "the article vectors were never built"
            time.sleep(0.1)


# --- categories -------------------------------------------------------------------------------------


def test_category_page_lists_its_published_articles_in_order(client: TestClient, db: Session) -> None:
    page = client.get("/hc/de/categories/returns-and-refunds")
    assert page.status_code == 200
    doc = Page(page.text)
    assert doc.one("html").attrs["lang"] == "de"
    assert doc.text_of("h1") == "Rücksendung und Erstattung"
    assert "Artikel zurücksenden, Umtausch" in page.text  # the German description
    category = categories.get_category(db, slug="returns-and-refunds")
    expected = sorted(
        (
            a
            for a in db.exec(select(Article).where(Article.locale == "de")).all()
            if a.category_id == category.id and a.status == ArticleStatus.published
        ),
        key=lambda a: (a.position, a.title),
    )
    listed = [e.attrs["href"] for e in doc.find("a") if "ul" in e.inside and "main" in e.inside]
    assert listed == [f"/hc/de/articles/{a.slug}" for a in expected] and len(listed) >= 3
    crumbs = doc.one("nav", aria_label="Brotkrümelnavigation")
    assert "Hilfe-Center" in crumbs.text and "Rücksendung und Erstattung" in crumbs.text
    english = Page(client.get("/hc/en/categories/returns-and-refunds").text)
    assert "/hc/en/articles/secret-draft" not in [e.attrs.get("href") for e in english.find("a")]


def test_empty_and_unknown_categories(client: TestClient) -> None:
    empty = client.get("/hc/de/categories/gear-guides")
    assert empty.status_code == 200
    assert "In dieser Kategorie gibt es noch keine Artikel." in empty.text
    assert Page(client.get("/hc/nl/categories/gear-guides").text).text_of("h1") == "gear-guides"  # no nl name
    missing = client.get("/hc/de/categories/no-such-thing")
    assert missing.status_code == 404
    assert Page(missing.text).text_of("h1") == "Diese Seite konnten wir nicht finden"
    as_json = client.get("/hc/de/categories/no-such-thing", headers={"accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json()["error"] == "not_found"


# --- translations and dates -------------------------------------------------------------------------

UI = {
    "en": ("How can we help?", "Search", "Skip to main content", "Language"),
    "de": ("Wie können wir helfen?", "Suchen", "Zum Hauptinhalt springen", "Sprache"),
    "nl": ("Waarmee kunnen we je helpen?", "Zoeken", "Direct naar de hoofdinhoud", "Taal"),
}


@pytest.mark.parametrize("locale", ["en", "de", "nl"])
def test_ui_strings_follow_the_page_locale(client: TestClient, locale: str) -> None:
    doc = Page(client.get(f"/hc/{locale}/").text)
    heading, search, skip, language = UI[locale]
    assert doc.one("html").attrs["lang"] == locale
    assert doc.text_of("h1") == heading
    assert doc.text_of("button", type="submit") == search
    assert doc.text_of("a", class_="skip-link") == skip
    assert doc.find("nav", aria_label=language)


@pytest.mark.parametrize("locale", ["en", "de", "nl"])
def test_article_dates_are_formatted_for_the_locale(client: TestClient, db: Session, locale: str) -> None:
    article, _ = public.find_published(db, locale=locale, slug="return-an-item")
    assert article is not None
    doc = Page(client.get(f"/hc/{locale}/articles/return-an-item").text)
    time = doc.one("time")
    assert time.attrs["datetime"] == article.updated_at.date().isoformat()
    assert time.text == format_date(article.updated_at.date(), format="long", locale=locale)


# --- "Was this helpful?" ----------------------------------------------------------------------------


def _votes(db: Session, slug: str, locale: str = "en") -> list[ArticleVote]:
    article, _ = public.find_published(db, locale=locale, slug=slug)
    assert article is not None
    return list(db.exec(select(ArticleVote).where(ArticleVote.article_id == article.id)).all())


def test_feedback_form_is_a_plain_labelled_html_form(client: TestClient) -> None:
    doc = Page(client.get("/hc/en/articles/return-an-item").text)
    form = doc.one("form", class_="feedback-form")
    assert form.attrs["method"] == "post" and form.attrs["action"] == "/hc/en/articles/return-an-item/feedback"
    buttons = doc.find("button", name="helpful")
    assert [(b.attrs["value"], b.text.strip()) for b in buttons] == [("yes", "Yes"), ("no", "No")]
    # The form needs no script: the page's one script is the chat widget (a setting, on by default).
    assert [e.attrs.get("src") for e in doc.find("script")] == ["/widget/v1/widget.js"]


def test_feedback_round_trip_stores_a_vote_and_thanks_in_the_locale(client: TestClient, db: Session) -> None:
    before = len(_votes(db, "refund-status", "nl"))
    response = client.post(
        "/hc/nl/articles/refund-status/feedback",
        data={"helpful": "no", "comment": "  Ik mis de termijn voor PayPal.  "},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/hc/nl/articles/refund-status?feedback=thanks#feedback"
    votes = _votes(db, "refund-status", "nl")
    assert len(votes) == before + 1
    assert votes[-1].helpful is False and votes[-1].comment == "Ik mis de termijn voor PayPal."
    doc = Page(client.get(response.headers["location"]).text)
    assert doc.text_of(role="status").startswith("Bedankt voor je feedback!")
    assert not doc.find("form", class_="feedback-form")

    yes = client.post("/hc/de/articles/refund-status/feedback", data={"helpful": "yes"})  # follows the 303
    assert yes.status_code == 200 and yes.url.path == "/hc/de/articles/refund-status"
    assert Page(yes.text).text_of(role="status").startswith("Vielen Dank für Ihr Feedback!")
    latest = _votes(db, "refund-status", "de")[-1]
    assert latest.helpful is True and latest.comment is None


def test_feedback_thank_you_page_is_not_counted_as_a_view(client: TestClient, db: Session) -> None:
    article, _ = public.find_published(db, locale="en", slug="gift-cards")
    assert article is not None
    views = article.views
    client.get("/hc/en/articles/gift-cards?feedback=thanks")
    db.refresh(article)
    assert article.views == views
    client.get("/hc/en/articles/gift-cards")
    db.refresh(article)
    assert article.views == views + 1


def test_a_refused_help_center_request_is_a_page_in_its_language_not_json(client: TestClient) -> None:
    for url in ("/hc/de/search?q=" + "x" * 201, "/hc/de/articles/gift-cards?feedback=" + "y" * 21):
        refused = client.get(url)
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html"), url
        assert "<h1>" in refused.text and '"detail"' not in refused.text and 'lang="de"' in refused.text
    api = client.get("/api/v1/search", params={"q": "x" * 201, "locale": "de"})
    assert api.status_code == 422 and api.json()["error"] == "invalid"  # the API stays JSON


def test_a_loop_of_reads_from_one_address_or_a_crawler_does_not_make_an_article_the_most_read(
    client: TestClient, db: Session
) -> None:
    article, _ = public.find_published(db, locale="nl", slug="newsletter")
    assert article is not None
    views = article.views
    for _ in range(10):
        assert client.get("/hc/nl/articles/newsletter", headers={"User-Agent": "Googlebot/2.1"}).status_code == 200
    db.refresh(article)
    assert article.views == views  # crawlers read, nobody helped themselves
    for _ in range(10):
        client.get("/hc/nl/articles/newsletter")
    db.refresh(article)
    assert 1 <= article.views - views <= 3  # a few per address and hour, not every request


def test_feedback_comment_with_markup_is_stored_verbatim_and_never_echoed(client: TestClient, db: Session) -> None:
    payload = "</textarea><script>alert(1)</script><img src=x onerror=alert(1)>"
    thanks = client.post("/hc/en/articles/invoices/feedback", data={"helpful": "no", "comment": payload})
    assert thanks.status_code == 200 and "<script>alert(1)" not in thanks.text and "onerror=alert" not in thanks.text
    assert _votes(db, "invoices")[-1].comment == payload

    too_long = client.post("/hc/de/articles/invoices/feedback", data={"helpful": "no", "comment": payload + "x" * 2000})
    assert too_long.status_code == 422
    assert "<script>alert(1)" not in too_long.text and "<img src=x" not in too_long.text
    assert "&lt;/textarea&gt;&lt;script&gt;" in too_long.text
    doc = Page(too_long.text)
    assert doc.text_of(role="alert") == "Ihr Kommentar ist zu lang: Bitte verwenden Sie höchstens 2.000 Zeichen."
    assert doc.one("textarea").text == payload + "x" * 2000  # kept for the visitor to shorten
    assert doc.one("input", name="helpful").attrs["value"] == "no"
    assert len(_votes(db, "invoices", "de")) == 0


def test_a_no_asks_what_was_missing_and_the_answer_joins_that_vote(client: TestClient, db: Session) -> None:
    before = _votes(db, "gift-cards", "de")
    no = client.post("/hc/de/articles/gift-cards/feedback", data={"helpful": "no"}, follow_redirects=False)
    assert no.status_code == 303
    location = no.headers["location"]
    assert location.startswith("/hc/de/articles/gift-cards?feedback=missing&ticket=")
    vote = _votes(db, "gift-cards", "de")[-1]
    assert len(_votes(db, "gift-cards", "de")) == len(before) + 1 and vote.helpful is False and vote.comment is None
    article, _ = public.find_published(db, locale="de", slug="gift-cards")
    assert article is not None
    views = article.views
    doc = Page(client.get(location).text)
    db.refresh(article)
    assert article.views == views  # the follow-up is not another read
    form = doc.one("form", class_="feedback-missing")
    assert form.attrs["action"] == "/hc/de/articles/gift-cards/feedback/missing"
    assert doc.text_of("label", for_="feedback-comment").startswith("Danke")
    ticket = doc.one("input", name="ticket").attrs["value"]

    vote_id, _, mac = ticket.partition(".")
    forged_mac = "".join("1" if ch == "0" else "0" for ch in mac)  # differs from the real one in every digit
    forged = client.post(form.attrs["action"], data={"ticket": f"{vote_id}.{forged_mac}", "comment": "Spam"})
    assert forged.status_code == 422 and "abgelaufen" in Page(forged.text).text_of(role="alert")
    empty = client.post(form.attrs["action"], data={"ticket": ticket, "comment": "  "})
    assert empty.status_code == 422
    sent = client.post(form.attrs["action"], data={"ticket": ticket, "comment": "Wie lange gilt der Gutschein?"})
    assert sent.status_code == 200 and Page(sent.text).text_of(role="status").startswith("Vielen Dank")
    db.refresh(vote)
    assert vote.comment == "Wie lange gilt der Gutschein?"
    again = client.post(form.attrs["action"], data={"ticket": ticket, "comment": "overwritten?"})
    assert again.status_code == 200  # a double click thanks again and keeps the first answer
    db.refresh(vote)
    assert vote.comment == "Wie lange gilt der Gutschein?"
    assert len(_votes(db, "gift-cards", "de")) == len(before) + 1
    elsewhere = client.post("/hc/de/articles/refund-status/feedback/missing", data={"ticket": ticket, "comment": "x"})
    assert elsewhere.status_code == 422  # a ticket belongs to its article's vote
    superscript = client.post(form.attrs["action"], data={"ticket": "².abc", "comment": "x"})  # "²".isdigit()
    assert superscript.status_code == 422


def test_feedback_comment_line_breaks_count_once(client: TestClient, db: Session) -> None:
    comment = "a\r\n" * 1000  # 2,000 characters in the textarea (maxlength), 3,000 bytes on the wire
    response = client.post("/hc/en/articles/size-guide/feedback", data={"helpful": "no", "comment": comment})
    assert response.status_code == 200
    assert _votes(db, "size-guide")[-1].comment == ("a\n" * 1000).strip()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"helpful": "maybe"}, "Please choose “Yes” or “No”."),
        ({"comment": "no choice made"}, "Please choose “Yes” or “No”."),
        ({"helpful": "no", "comment": "x" * 2001}, "Your comment is too long: please keep it to 2,000 characters."),
    ],
)
def test_bad_feedback_gets_a_clear_message(client: TestClient, db: Session, data: dict[str, str], message: str) -> None:
    before = len(_votes(db, "delivery-times"))
    response = client.post("/hc/en/articles/delivery-times/feedback", data=data)
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert Page(response.text).text_of(role="alert") == message
    assert len(_votes(db, "delivery-times")) == before


def test_feedback_on_unknown_or_renamed_articles(client: TestClient) -> None:
    assert client.post("/hc/en/articles/nope/feedback", data={"helpful": "yes"}).status_code == 404
    assert client.post("/hc/en/articles/secret-draft/feedback", data={"helpful": "yes"}).status_code == 404
    assert client.post("/hc/xx/articles/invoices/feedback", data={"helpful": "yes"}).status_code == 404
    moved = client.post("/hc/en/articles/newsletter/feedback", data={"helpful": "yes"}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/hc/en/articles/newsletter-and-emails?feedback=thanks#feedback"


# --- accessibility and layout ---------------------------------------------------------------------

PAGES = [
    "/hc/en/",
    "/hc/de/categories/returns-and-refunds",
    "/hc/nl/articles/return-an-item",
    "/hc/en/search?q=return",
    "/hc/de/search?q=zzzzqqq",
    "/hc/de/search",
]


@pytest.mark.parametrize("path", [*PAGES, "/hc/nl/articles/missing"])
def test_page_structure_is_accessible(client: TestClient, path: str) -> None:
    response = client.get(path)
    doc = Page(response.text)
    levels = [int(e.tag[1]) for e in doc.elements if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # no skipped level
    assert doc.one("a", class_="skip-link").attrs["href"] == "#content"
    assert doc.one("main").attrs["id"] == "content"
    for landmark in ("header", "main", "footer"):
        assert doc.tags.count(landmark) == 1
    search_input = doc.one("input", name="q")
    assert doc.find("label", for_=search_input.attrs["id"] or "")
    assert doc.one("meta", name="viewport").attrs["content"] == "width=device-width, initial-scale=1"
    assert doc.one("link", rel="stylesheet").attrs["href"] == "/static/hc.css"
    assert "style" not in doc.tags
    # No inline script; the chat widget's script where the setting puts it (not on the 404 page).
    assert all(e.attrs.get("src") == "/widget/v1/widget.js" for e in doc.find("script"))
    assert not any(name.startswith("on") or name == "style" for e in doc.elements for name in e.attrs)


@pytest.mark.parametrize("path", PAGES)
def test_language_switcher(client: TestClient, path: str) -> None:
    doc = Page(client.get(path).text)
    page_locale = doc.one("html").attrs["lang"]
    nav = [e for e in doc.find("nav") if e.attrs.get("class") == "languages"]
    assert len(nav) == 1 and nav[0].attrs.get("aria-label")
    links = [e for e in doc.find("a") if e.attrs.get("hreflang")]
    assert {e.attrs["hreflang"] for e in links} == {"en", "de", "nl"}
    for link in links:
        assert link.attrs["lang"] == link.attrs["hreflang"]
        assert (link.attrs["href"] or "").startswith(f"/hc/{link.attrs['hreflang']}/")
        assert (link.attrs.get("aria-current") == "true") == (link.attrs["hreflang"] == page_locale)
    assert {e.text for e in links} == {"English", "Deutsch", "Nederlands"}


def test_language_switcher_keeps_the_search_query(client: TestClient) -> None:
    doc = Page(client.get("/hc/en/search", params={"q": "a&b <c>"}).text)
    hrefs = {e.attrs["hreflang"]: e.attrs["href"] for e in doc.find("a") if e.attrs.get("hreflang")}
    assert hrefs["de"] == "/hc/de/search?q=a%26b+%3Cc%3E"


def test_stylesheet_is_served_and_works_on_small_screens(client: TestClient) -> None:
    response = client.get("/static/hc.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    css = response.text
    assert ":focus-visible" in css and "outline" in css
    assert re.search(r"@media \(max-width: 30rem\)", css)  # 480 px and below, e.g. 360 px phones
    assert "overflow-wrap: anywhere" in css and "min-width: 0" in css


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_helper_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_text_colours_have_enough_contrast() -> None:
    """Each rule's own colour pair, and every inherited text colour on every background, reach 4.5:1."""
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S))
    pairs, texts, surfaces = [], set(), {"#ffffff"}
    for selector, body in rules:
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", body)
        background = re.search(r"background(?:-color)?:\s*(#[0-9a-fA-F]{6})", body)
        assert not re.search(r"(?<![-\w])color:(?!\s*(#[0-9a-fA-F]{6}|inherit))", body), selector
        if colour and background:
            pairs.append((selector.strip(), colour[1], background[1]))
        elif colour:
            texts.add(colour[1])
        elif background:
            surfaces.add(background[1])
    pairs += [("inherited", text, surface) for text in texts for surface in surfaces]
    assert len(pairs) >= 10
    low = [(s, c, b, round(contrast(c, b), 2)) for s, c, b in pairs if contrast(c, b) < 4.5]
    assert not low


def test_feedback_is_rate_limited_per_address(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as fresh:
        statuses = [
            fresh.post(
                "/hc/de/articles/tracking-your-order/feedback", data={"helpful": "yes"}, follow_redirects=False
            ).status_code
            for _ in range(11)
        ]
        assert statuses[:10] == [303] * 10
        assert statuses[10] == 429
        blocked = fresh.post(
            "/hc/de/articles/tracking-your-order/feedback", data={"helpful": "no"}, follow_redirects=False
        )
        assert "sehr viel Feedback" in blocked.text and int(blocked.headers["Retry-After"]) >= 1


def test_regional_locales_of_other_help_centers_move_to_the_configured_language(client: TestClient) -> None:
    """Links into an imported help center (Zendesk writes /hc/en-us/articles/<id>-<title>) keep working."""
    moved = client.get("/hc/en-us/articles/tracking-your-order", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/hc/en/articles/tracking-your-order"
    search = client.get("/hc/de_AT/search", params={"q": "Rücksendung"}, follow_redirects=False)
    assert search.status_code == 301 and search.headers["location"] == "/hc/de/search?q=R%C3%BCcksendung"
    assert client.get("/hc/nl-be/").status_code == 200  # followed
    # The path is encoded again: non-Latin letters were a 500, a CR LF reached the header raw.
    moved = client.get("/hc/en-x/articles/%E6%97%A5%E6%9C%AC%0D%0ASet-Cookie:%20x=1", follow_redirects=False)
    location = moved.headers["location"]
    assert moved.status_code == 301 and location.startswith("/hc/en/articles/%E6%97%A5%E6%9C%AC")
    assert "\r" not in location and "\n" not in location and "x=1" not in moved.headers.get("set-cookie", "")
    assert client.get("/hc/fr-fr/", follow_redirects=False).status_code == 404  # fr is not configured
    assert client.get("/hc/xx/", follow_redirects=False).status_code == 404
