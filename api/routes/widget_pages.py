"""The widget script and the demo host page.

``widget/`` holds plain JavaScript, not a Python package, so it is not in the wheel: the script is
served from the source tree (see docs/architecture.md).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.templating import templates
from core.errors import NotFoundError

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
WIDGET_SCRIPT = WIDGET_DIR / "widget.js"
# Short, so a fix reaches every customer's site within minutes; the ETag makes revalidation cheap.
WIDGET_CACHE_CONTROL = "public, max-age=300"

router = APIRouter(include_in_schema=False)


@router.get("/widget/v1/widget.js")
def widget_script() -> FileResponse:
    """The embeddable widget, loadable from any site."""
    if not WIDGET_SCRIPT.is_file():
        raise NotFoundError("widget.js is missing from this installation")
    return FileResponse(
        WIDGET_SCRIPT,
        media_type="application/javascript; charset=utf-8",
        headers={
            "Cache-Control": WIDGET_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            # A static script sent without credentials: any origin may load it (the API itself
            # answers only the configured origins).
            "Access-Control-Allow-Origin": "*",
        },
    )


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request) -> HTMLResponse:
    """A fictional shop page with the widget embedded, as a customer's site would have it."""
    return templates.TemplateResponse(request, "demo.html", {"locale": "en"})
