"""``/docs``: the OpenAPI documentation in Swagger UI, served from this installation.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; neither works
offline nor under the pages' ``script-src 'self'``, so the app turns it off and serves this one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over the app's OpenAPI schema."""
    root = request.scope.get("root_path", "")
    context = {"title": request.app.title, "openapi_url": root + (request.app.openapi_url or "/openapi.json")}
    return templates.TemplateResponse(request, "docs.html", context)
