"""sitemap.xml: every published article, with its translations as hreflang alternates."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep
from helpcenter import service

router = APIRouter(include_in_schema=False)


@router.get("/sitemap.xml")
def sitemap(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The sitemap of the public help center."""
    base = str(request.base_url).rstrip("/")
    entries = []
    for locale in settings.locales:
        for article in service.published_articles(session, locale=locale):
            url = f"{base}/hc/{locale}/articles/{article.slug}"
            alternates = "".join(
                f'<xhtml:link rel="alternate" hreflang={quoteattr(t.locale)} '
                f"href={quoteattr(f'{base}/hc/{t.locale}/articles/{t.slug}')}/>"
                for t in [article, *service.translations(session, article=article)]
            )
            lastmod = article.updated_at.date().isoformat()
            entries.append(f"<url><loc>{url}</loc><lastmod>{lastmod}</lastmod>{alternates}</url>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">'
        + "".join(entries)
        + "</urlset>\n"
    )
    return Response(body, media_type="application/xml")
