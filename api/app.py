"""The FastAPI application factory: heavy objects are built once in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from api import errors, observability
from api.body_limit import BodyLimit
from api.head_requests import HeadAsGet
from api.headers import PublicCORS, SecurityHeaders
from api.openapi import refine as refine_openapi
from api.ratelimit import RateLimiter
from api.routes import (
    admin_api,
    admin_articles,
    admin_auth,
    admin_canned,
    admin_conversations,
    admin_dashboard,
    admin_inbox,
    admin_intent_import,
    admin_intents,
    admin_live,
    admin_misunderstood,
    admin_review,
    admin_site,
    admin_trial,
    admin_widget,
    api_docs,
    hc_api,
    hc_pages,
    health,
    metrics,
    seo,
    widget_api,
    widget_pages,
)
from api.schemas import ERROR_RESPONSES
from api.templating import STATIC_DIR
from bot import runtime
from bot.model import FaqModel
from core import memory
from core.db import make_engine, session_scope
from core.security import load_secret_key
from core.settings import Settings, check_start, get_settings
from support import model_files, suggest, traffic, training

log = logging.getLogger(__name__)
MODEL_POLL_SECONDS = 5.0  # how soon a newly activated model reaches this process
TRAFFIC_EVERY_POLLS = 12  # the out-of-scope share is re-estimated from recent turns about every minute


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (the process settings by default)."""
    settings = settings or get_settings()
    check_start(settings)  # production mode refuses insecure settings before anything is built

    memory.limit_arenas()  # before the server's threads start (core/memory.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings.for_serving()
        app.state.engine = make_engine(settings.database_url)
        app.state.model = await asyncio.to_thread(_load_model, app.state.settings, app.state.engine)
        app.state.secret_key = load_secret_key(settings.secret_key, settings.data_dir)
        app.state.rate_limiter = RateLimiter(settings.rate_limit_storage)
        app.state.chat_limiter = anyio.CapacityLimiter(settings.chat_threads)
        app.state.model_load_failed = None  # the version that last failed to load here (logged once)
        follower = asyncio.create_task(_follow_active_model(app))
        stop_warming = threading.Event()
        # Reported by /readyz (api/routes/health.py); without an encoder suggestions go by words alone.
        encoded = app.state.model is not None and app.state.model.encoder is not None
        app.state.article_vectors = "building" if encoded else "on first use"
        warmer = asyncio.create_task(_warm_suggestions(app, stop_warming))
        yield
        stop_warming.set()  # the warm-up's thread ends at its next batch instead of holding up the exit
        for task in (follower, warmer):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        app.state.rate_limiter.close()
        app.state.engine.dispose()

    # /docs is api_docs (Swagger UI served from /static, no CDN); FastAPI's own pages are off.
    app = FastAPI(
        title="faqdesk",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    # Routes are matched in order, one by one: the chat API, hit on every visitor message, comes first.
    app.include_router(widget_api.router)
    app.include_router(api_docs.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(hc_pages.router)
    app.include_router(hc_api.router)
    app.include_router(seo.router)
    app.include_router(admin_auth.router)
    app.include_router(admin_articles.router)
    app.include_router(admin_site.router)
    app.include_router(admin_widget.router)
    app.include_router(admin_api.router)
    app.include_router(admin_dashboard.router)
    app.include_router(admin_canned.router)
    app.include_router(admin_conversations.router)
    app.include_router(admin_live.router)  # before the inbox: /admin/inbox/events is not a ticket
    app.include_router(admin_inbox.router)
    app.include_router(admin_intent_import.router)  # before the intents: /admin/intents/import-file is no intent
    app.include_router(admin_intents.router)
    app.include_router(admin_trial.router)
    app.include_router(admin_misunderstood.router)
    app.include_router(admin_review.router)
    app.include_router(widget_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Innermost of the middleware: a body over the limit is refused before any handler reads it, and
    # the 413 still gets CORS and security headers from the middleware around it.
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=max(settings.upload_max_bytes, admin_intents.MAX_IMPORT_BYTES),
    )
    app.add_middleware(HeadAsGet)  # outside the body limit, inside CORS and the security headers
    if settings.cors_origins:  # only the configured sites, and only on the public API (api/headers.py)
        app.add_middleware(PublicCORS, origins=settings.cors_origins)
    # Added last, so it wraps CORS too: preflight answers get the security headers as well.
    app.add_middleware(SecurityHeaders, hsts=settings.env == "production")
    observability.install(app, settings)  # outermost: request ids, the access log, latency; and /metrics
    errors.install(app)
    refine_openapi(app, settings.locales)
    return app


def _load_model(settings: Settings, engine: Engine) -> FaqModel | None:
    """The version the database names active (fetched from it when this machine lacks it), else the
    model folder's own active one, else None before the first training (readyz then says not ready)."""
    try:
        version = _active_version(engine)
        if version is not None:
            return _fetch_and_load(engine, settings, version)
    except FileNotFoundError:  # named but stored nowhere (activated before models were shared)
        pass
    except Exception:  # logged; the local model (or the follower's next poll) serves instead
        log.exception("cannot load the active model named by the database")
    try:
        return runtime.load_active(settings)
    except (FileNotFoundError, ValueError):
        return None


async def _follow_active_model(app: FastAPI) -> None:
    """Switch to the model version the database names, checking every few seconds (from start-up on),
    and keep its thresholds on the out-of-scope share of recent traffic."""
    polls = 0
    while True:
        try:
            changed = await sync_model(app)
            if changed or polls % TRAFFIC_EVERY_POLLS == 0:
                await follow_traffic(app)
                await asyncio.to_thread(memory.trim)  # what the old model and the past minute freed
        except Exception:  # a database hiccup must not end the loop; the current model keeps serving
            log.exception("checking the active model version failed")
        polls += 1
        await asyncio.sleep(MODEL_POLL_SECONDS)


async def _warm_suggestions(app: FastAPI, stop: threading.Event) -> None:
    """Build the article vectors for suggestions off the request path (with thousands of articles the
    first build encodes every section for minutes; later builds read the encoder's disk cache)."""
    model: FaqModel | None = app.state.model
    if model is None or model.encoder is None:
        return
    started = time.perf_counter()
    try:
        await asyncio.to_thread(warm_article_vectors, app.state.engine, app.state.settings.locales, model, stop)
    except suggest.Stopped:
        return  # shutting down; the next start reads what was encoded from the disk cache
    except Exception:  # suggestions then build their vectors on first use
        log.exception("warming the article vectors failed")
        app.state.article_vectors = "on first use"
        return
    # Until then the server answers, but a cold first start spends a core encoding every article's passages.
    app.state.article_vectors = "ready"
    log.info("article vectors ready in %.1f s", time.perf_counter() - started)


def warm_article_vectors(
    engine: Engine, locales: list[str], model: FaqModel, stop: threading.Event | None = None
) -> None:
    """Build every locale's article vectors now, as the first question in it would."""
    with session_scope(engine) as session:
        for locale in locales:  # each with the encoder as its classifier uses it (German and Dutch glossed)
            if (encoder := model.encoder_for(locale)) is not None:
                suggest.warm(session, locales=[locale], encoder=encoder, stop=stop)


async def follow_traffic(app: FastAPI) -> None:
    """Re-estimate each locale's out-of-scope share from recent turns and move the thresholds to it."""
    model: FaqModel | None = app.state.model
    if model is None or app.state.settings.answer_threshold is not None:
        return
    following = await asyncio.to_thread(_follow_traffic, app.state.engine, model, app.state.settings.oos_prior)
    if app.state.model is model:  # unless a new version was swapped in meanwhile
        app.state.model = following


def _follow_traffic(engine: Engine, model: FaqModel, prior: float) -> FaqModel:
    with session_scope(engine) as session:
        return traffic.follow_traffic(session, model=model, prior=prior)


async def sync_model(app: FastAPI) -> bool:
    """Load the active version if this process serves another one; returns whether the model changed.

    Loading runs in a thread and the swap is one attribute assignment, so requests in flight finish
    with the model they started with. A version that fails to load is logged once and the old model
    keeps serving; the next poll tries again, in case the version's folder was still being copied.
    """
    version = await asyncio.to_thread(_active_version, app.state.engine)
    current: FaqModel | None = app.state.model
    if version is None or (current is not None and current.version == version):
        return False
    try:
        model = await asyncio.to_thread(_fetch_and_load, app.state.engine, app.state.settings, version)
    except Exception:
        if version != app.state.model_load_failed:  # retried every poll (it may appear), logged once
            log.exception("cannot load model %s; still serving %s", version, current.version if current else "none")
        app.state.model_load_failed = version
        return False
    app.state.model = model
    app.state.model_load_failed = None
    log.info("now serving model %s (was %s)", version, current.version if current else "none")
    return True


def _fetch_and_load(engine: Engine, settings: Settings, version: str) -> FaqModel:
    """A version from this machine's model folder, copied there from the database first if missing."""
    if not model_files.ensure_local(engine, model_dir=settings.model_dir, version=version):
        raise FileNotFoundError(f"model {version} is neither in {settings.model_dir} nor in the database")
    return runtime.load_version(settings, version)


def _active_version(engine: Engine) -> str | None:
    with session_scope(engine) as session:
        return training.active_version(session)
