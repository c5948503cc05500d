"""The widget script and the demo host page.

``widget/`` holds plain JavaScript, not a Python package, so it is not in the wheel: the script is
served from the source tree (see docs/architecture.md), its parts in ``widget/src`` joined into one.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep, SettingsDep
from api.templating import templates
from api.widget_minify import joined, minified
from api.widget_strings import packed_widget_strings
from core.errors import NotFoundError
from support import appearance

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
# The script's parts, joined in name order (the numbers fix it) inside one function: api/widget_minify.py.
WIDGET_SOURCES = WIDGET_DIR / "src"
# Short, so a fix reaches every customer's site within minutes; the ETag makes revalidation cheap.
WIDGET_CACHE_CONTROL = "public, max-age=300"
# Where the script takes its UI strings; the server writes them in from the one catalogue.
STRINGS_SLOT = "/*faqdesk:strings*/ {}"
# ... and its appearance as set in the back office (support/appearance.py), so it needs no request for it.
APPEARANCE_SLOT = "/*faqdesk:appearance*/ {}"

router = APIRouter(include_in_schema=False)


def widget_source(look: dict[str, object] | None = None) -> str:
    """widget.js with every catalogued locale's strings and an appearance (by default the default one)
    written into it."""
    if look is None:
        look = appearance.config_of(appearance.WidgetAppearance(), locales=[])
    return _script(look)[0].decode("utf-8")


def widget_parts() -> list[Path]:
    """The script's source files, in the order they are joined."""
    return sorted(WIDGET_SOURCES.glob("*.js"))


def readable_source() -> str:
    """The whole script as joined from its parts, before the server fills in strings and appearance."""
    return joined(widget_parts())


def _script(look: dict[str, object]) -> tuple[bytes, str]:
    parts = widget_parts()
    if not parts:
        raise NotFoundError("widget.js is missing from this installation")
    versions = tuple((part, part.stat().st_mtime_ns) for part in parts)
    return _built(versions, json.dumps(look, ensure_ascii=False, sort_keys=True))


@lru_cache(maxsize=4)
def _built(versions: tuple[tuple[Path, int], ...], look: str) -> tuple[bytes, str]:
    """The served script and its ETag, built once per version of the parts and of the appearance: every
    visitor's page load asks for it, and reading, filling in and hashing each time would be wasted work."""
    source = joined(part for part, _mtime_ns in versions)
    source = source.replace(STRINGS_SLOT, json.dumps(packed_widget_strings(), ensure_ascii=False), 1)
    body = minified(source.replace(APPEARANCE_SLOT, look, 1)).encode("utf-8")
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get("/widget/v1/widget.js")
def widget_script(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The embeddable widget, loadable from any site, looking as set in the back office."""
    body, etag = _script(appearance.widget_config(session, locales=settings.locales))
    headers = {
        "Cache-Control": WIDGET_CACHE_CONTROL,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # A static script sent without credentials: any origin may load it (the API itself
        # answers only the configured origins).
        "Access-Control-Allow-Origin": "*",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request) -> HTMLResponse:
    """A fictional shop page with the widget embedded, as a customer's site would have it."""
    return templates.TemplateResponse(request, "demo.html", {"locale": "en"})
