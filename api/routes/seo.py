"""sitemap.xml: every published article and every category page, with translations as hreflang alternates."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep
from helpcenter import categories, public

router = APIRouter(include_in_schema=False)


def _url(loc: str, lastmod: datetime | None, alternates: list[tuple[str, str]]) -> str:
    links = "".join(
        f'<xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={quoteattr(href)}/>' for lang, href in alternates
    )
    modified = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{modified}{links}</url>"


@router.get("/sitemap.xml")
def sitemap(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The sitemap of the public help center."""
    # The configured address: the Host header is the client's to choose, and a cache in front would keep a
    # sitemap pointing search engines at whatever host the first request named.
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    entries = []
    for locale in settings.locales:
        for article in public.published_articles(session, locale=locale):
            alternates = [
                (t.locale, f"{base}/hc/{t.locale}/articles/{t.slug}")
                for t in [article, *public.translations(session, article=article)]
            ]
            entries.append(_url(f"{base}/hc/{locale}/articles/{article.slug}", article.updated_at, alternates))
    for category in categories.list_categories(session):
        assert category.id is not None
        # A category page is listed in the locales where it has published articles.
        articles = {
            locale: public.articles_in_category(session, locale=locale, category_id=category.id)
            for locale in settings.locales
        }
        listed = [locale for locale in settings.locales if articles[locale]]
        alternates = [(locale, f"{base}/hc/{locale}/categories/{category.slug}") for locale in listed]
        for locale in listed:
            lastmod = max(a.updated_at for a in articles[locale])
            entries.append(_url(f"{base}/hc/{locale}/categories/{category.slug}", lastmod, alternates))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">'
        + "".join(entries)
        + "</urlset>\n"
    )
    return Response(body, media_type="application/xml")
