"""The FastAPI application factory: heavy objects are built once in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.routes import hc_api, hc_pages, health, seo
from api.templating import templates
from bot import runtime
from bot.model import FaqModel
from core.db import make_engine
from core.errors import FaqdeskError
from core.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (the process settings by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = make_engine(settings.database_url)
        app.state.model = _load_model(settings)
        yield
        app.state.engine.dispose()

    app = FastAPI(title="faqdesk", version="0.1.0", lifespan=lifespan)
    app.include_router(health.router)
    app.include_router(hc_pages.router)
    app.include_router(hc_api.router)
    app.include_router(seo.router)
    _error_handlers(app)
    return app


def _load_model(settings: Settings) -> FaqModel | None:
    """The active model, or None before the first training (readyz then reports not ready)."""
    try:
        return runtime.load_active(settings)
    except (FileNotFoundError, ValueError):
        return None


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith("/api/") and "application/json" not in accept


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FaqdeskError)
    async def domain_error(request: Request, exc: FaqdeskError) -> Response:
        if exc.status_code == 404 and _wants_html(request):
            return _not_found_page(request)
        return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": "invalid", "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_html(request):
            return _not_found_page(request)
        return JSONResponse({"error": "http_error", "detail": str(exc.detail)}, status_code=exc.status_code)


def _not_found_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    locale = request.path_params.get("locale")
    locale = locale if locale in settings.locales else settings.default_locale
    slug = request.path_params.get("slug", "")
    query = slug.replace("-", " ")
    return templates.TemplateResponse(request, "hc/not_found.html", {"locale": locale, "query": query}, status_code=404)
