"""A Zendesk Guide export as its readers meet it: restricted articles, Zendesk's own addresses, and
bodies whose HTML must stay the same text (and tables, videos, images, links) in Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from helpcenter import public
from helpcenter.import_zendesk import html_to_markdown
from helpcenter.imports import import_content, read_zendesk
from helpcenter.markdown import render
from helpcenter.models import Article, ArticleStatus

LOCALES = ["en", "de", "nl"]
HOST = "https://acme.zendesk.com"


def zendesk_article(article_id: int, title: str, body: str, **fields: Any) -> dict[str, Any]:
    locale = fields.pop("locale", "en-us")
    url_title = fields.pop("url_title", re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-"))
    return {
        "id": article_id,
        "title": title,
        "body": body,
        "locale": locale,
        "source_locale": locale,
        "section_id": 11,
        "draft": False,
        "label_names": [],
        "position": 0,
        "html_url": f"{HOST}/hc/{locale}/articles/{article_id}-{url_title}",
        "user_segment_id": None,
        **fields,
    }


def export(folder: Path, *items: dict[str, Any]) -> Path:
    sections = [{"id": 11, "name": "Orders", "locale": "en-us", "source_locale": "en-us", "position": 0}]
    (folder / "sections.json").write_text(json.dumps({"sections": sections}))
    (folder / "articles.json").write_text(json.dumps({"articles": list(items), "next_page": None}))
    return folder


def by_title(session: Session) -> dict[str, Article]:
    return {a.title: a for a in session.exec(select(Article)).all()}


def cells(html: str) -> list[list[str]]:
    """Each row's cells, their white space as a browser shows it."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [[" ".join(c.split()) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_an_article_zendesk_showed_only_to_signed_in_users_is_a_draft_named_in_the_notes(
    session: Session, tmp_path: Path
) -> None:
    content = read_zendesk(
        export(
            tmp_path,
            zendesk_article(360000000001, "Returns", "<p>Send it back.</p>"),
            zendesk_article(360000000003, "Refund override codes", "<p>Code 4711</p>", user_segment_id=777),
        )
    )
    report = import_content(session, content=content, locales=LOCALES)
    found = by_title(session)
    assert found["Returns"].status is ArticleStatus.published
    assert found["Refund override codes"].status is ArticleStatus.draft
    for slug in ("refund-override-codes", "360000000003"):  # neither its page nor Zendesk's address shows it
        assert public.find_published(session, locale="en", slug=slug)[0] is None
    [note] = [n for n in report.notes if "signed-in" in n]
    assert "zendesk article 360000000003 (en)" in note and "360000000001" not in note


def test_zendesk_addresses_as_zendesk_writes_them_find_the_article(session: Session, tmp_path: Path) -> None:
    content = read_zendesk(
        export(
            tmp_path,
            zendesk_article(360000000001, "Returns & Refunds", "<p>Send it back.</p>"),
            zendesk_article(
                360000000004,
                "Rückgabe für Österreich",
                "<p>Österreich</p>",
                locale="de",
                url_title="R%C3%BCckgabe-f%C3%BCr-%C3%96sterreich",
            ),
        )
    )
    import_content(session, content=content, locales=LOCALES)
    found = by_title(session)
    returns, rueckgabe = found["Returns & Refunds"], found["Rückgabe für Österreich"]
    # As the browser's path reaches the route: capitals kept, percent-encoding decoded.
    for locale, slug, article in (
        ("en", "360000000001-Returns-Refunds", returns),
        ("en", "360000000001-Returns-and-refunds-old-title", returns),  # Zendesk goes by the id
        ("en", "Returns-Refunds", returns),
        ("de", "360000000004-Rückgabe-für-Österreich", rueckgabe),
    ):
        assert public.find_published(session, locale=locale, slug=slug) == (article, True), slug
        assert public.published_link(session, locale=locale, slug=slug) == (article.title, article.slug), slug
    assert public.find_published(session, locale="en", slug="returns-refunds") == (returns, False)
    assert public.find_published(session, locale="de", slug="360000000001-Returns-Refunds") == (None, False)
    assert public.find_published(session, locale="en", slug="Nothing-Here") == (None, False)


def test_a_zendesk_link_reaches_the_imported_article_over_http(
    site_db: Session, site_client: TestClient, tmp_path: Path
) -> None:
    content = read_zendesk(export(tmp_path, zendesk_article(360000000001, "Returns & Refunds", "<p>Back.</p>")))
    import_content(site_db, content=content, merge=True, locales=LOCALES)
    site_db.commit()
    for path in ("/hc/en-us/articles/360000000001-Returns-Refunds", "/hc/en-us/articles/360000000001"):
        page = site_client.get(path, follow_redirects=True)
        assert page.status_code == 200 and page.url.path == "/hc/en/articles/returns-refunds", path
        assert [r.status_code for r in page.history] == [301, 301]


def test_text_that_looks_like_markdown_stays_text() -> None:
    html = "<p>1986. A great year</p><p>+ plus</p><p># x</p><p>- dash</p><p>*not bold* and _x_</p><p>a &lt;b&gt; c</p>"
    assert render(html_to_markdown(html)) == (
        "<p>1986. A great year</p>\n<p>+ plus</p>\n<p># x</p>\n<p>- dash</p>\n<p>*not bold* and _x_</p>\n"
        "<p>a &lt;b&gt; c</p>\n"
    )


def test_pipes_and_line_breaks_stay_inside_their_table_cells() -> None:
    html = (
        "<table><thead><tr><th>Country</th><th>Days</th></tr></thead><tbody>"
        "<tr><td>DE | AT</td><td>3<br>working</td></tr>"
        "<tr><td><code>a|b</code></td><td><a href='https://x.test/?a|b'>x|y</a></td></tr>"
        "<tr><td><p>one</p><p>two</p></td><td>-</td></tr></tbody></table>"
    )
    assert cells(render(html_to_markdown(html))) == [
        ["Country", "Days"],
        ["DE | AT", "3 working"],
        ["<code>a|b</code>", '<a href="https://x.test/?a%7Cb" rel="noopener noreferrer nofollow">x|y</a>'],
        ["one two", "-"],
    ]


def test_embedded_videos_become_links() -> None:
    html = (
        '<p>Watch:</p><iframe src="//www.youtube.com/embed/abc" allowfullscreen></iframe>'
        '<p><video controls><source src="https://cdn.test/v.mp4" type="video/mp4">Old browser</video></p>'
        '<iframe title="Our map" src="https://maps.test/embed?x=1"></iframe><iframe src="javascript:alert(1)"></iframe>'
    )
    assert html_to_markdown(html) == (
        "Watch:\n\n[Video](https://www.youtube.com/embed/abc)\n\n[Video](https://cdn.test/v.mp4)\n\n"
        "[Our map](https://maps.test/embed?x=1)\n"
    )


def test_links_images_and_embeds_of_a_zendesk_body_are_kept_or_named(session: Session, tmp_path: Path) -> None:
    body = (
        '<p>See <a href="https://acme.zendesk.com/hc/en-us/articles/360000000002-Shipping-times">Shipping times</a>, '
        '<a href="/hc/en-us/articles/360000000002#h_1">here</a>, '
        '<a href="/hc/de/articles/360000000002">auf Deutsch</a> and '
        '<a href="https://acme.zendesk.com/hc/en-us/articles/360000000099-Gone">an old one</a>.</p>'
        '<p><img src="https://acme.zendesk.com/hc/article_attachments/123/box.png" alt="box"> '
        '<img src="/hc/article_attachments/124/label.png" alt="label"></p>'
        '<iframe src="https://www.youtube.com/embed/abc"></iframe>'
    )
    content = read_zendesk(
        export(
            tmp_path,
            zendesk_article(360000000001, "Returns", body),
            zendesk_article(360000000002, "Shipping times", "<p>3 days</p>"),
            zendesk_article(360000000005, "Other", '<p><img src="/hc/article_attachments/125/x.png" alt="x"></p>'),
        )
    )
    report = import_content(session, content=content, locales=LOCALES)
    returns = by_title(session)["Returns"].body
    assert "[Shipping times](/hc/en/articles/shipping-times)" in returns
    assert "[here](/hc/en/articles/shipping-times)" in returns
    assert "[auf Deutsch](/hc/en/articles/shipping-times)" in returns  # no German version: the English one
    assert "[an old one](https://acme.zendesk.com/hc/en-us/articles/360000000099-Gone)" in returns
    assert "![label](https://acme.zendesk.com/hc/article_attachments/124/label.png)" in returns
    assert "[Video](https://www.youtube.com/embed/abc)" in returns
    notes = "\n".join(report.notes)
    images = next(n for n in report.notes if "images from the Zendesk address" in n)
    assert images.startswith("2 articles") and "360000000001" in images and "360000000005" in images
    links = next(n for n in report.notes if "link to the Zendesk help center" in n)
    assert links.startswith("1 articles") and "zendesk article 360000000001 (en)" in links
    videos = next(n for n in report.notes if "videos or frames" in n)
    assert "zendesk article 360000000001 (en)" in videos
    assert "zendesk article 360000000002" not in notes


@pytest.mark.parametrize(
    "html",
    [
        "<p>plain</p>",
        "<h2>Steps</h2><ul><li>One</li></ul>",
        "<p>Call +31 20 123. Mon-Fri 9-17, 5 * 3 = 15 &amp; your_order_number!</p>",  # was "\\+31 20 123\\."
    ],
)
def test_plain_bodies_carry_no_escapes(html: str) -> None:
    assert "\\" not in html_to_markdown(html)
