"""Dependencies routes declare in their signatures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.ratelimit import RateLimiter
from bot.model import FaqModel
from core.db import Bind, open_session
from core.errors import ModelNotReadyError, NotFoundError
from core.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    """The app's settings (async: a plain sync dependency would cost a hop to the thread pool)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Bind:
    """The app's database engine (for work that opens its own sessions, e.g. a chat turn's thread).

    Every request reaches the database through it, so tests override it with a connection whose
    transaction is rolled back after each test (tests/app.py)."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Bind, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    """A session per request, committed when the handler succeeds."""
    with open_session(engine) as session:
        yield session
        session.commit()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a client never sees a 201 for data that
# is not committed yet (or that a failed commit then loses).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def known_locale(locale: str, settings: SettingsDep) -> str:
    """The path's locale if it is configured, else 404."""
    if locale not in settings.locales:
        raise NotFoundError(f"unknown locale {locale!r}")
    return locale


LocaleDep = Annotated[str, Depends(known_locale)]


def page_locale(locale: str, request: Request, settings: SettingsDep) -> str:
    """A help-center page's locale; a regional variant of a configured one (``en-us``, ``de_AT``), as
    other help centers write them, moves permanently to that locale, so links into an imported help
    center (Zendesk's ``/hc/en-us/articles/…``) keep working."""
    if locale in settings.locales:
        return locale
    language = re.split(r"[-_]", locale, maxsplit=1)[0].lower()
    if language != locale and language in settings.locales:
        # The decoded path, encoded again: "日本" or a CR LF in it would otherwise reach the header raw.
        path = quote(request.url.path.replace(f"/hc/{locale}/", f"/hc/{language}/", 1), safe="/!$&'()*+,;=:@-._~")
        query = f"?{request.url.query}" if request.url.query else ""
        raise HTTPException(status_code=301, headers={"Location": path + query})
    raise NotFoundError(f"unknown locale {locale!r}")


PageLocaleDep = Annotated[str, Depends(page_locale)]


async def get_model(request: Request) -> FaqModel | None:
    """The model this process serves right now (None before the first training)."""
    model: FaqModel | None = request.app.state.model
    return model


OptionalModelDep = Annotated[FaqModel | None, Depends(get_model)]


async def require_model(model: OptionalModelDep) -> FaqModel:
    """The model this process serves, else 503: the bot cannot answer before its first training."""
    if model is None:
        raise ModelNotReadyError("the bot is not trained yet; try again in a minute")
    return model


ModelDep = Annotated[FaqModel, Depends(require_model)]


async def get_rate_limiter(request: Request) -> RateLimiter:
    """The app's rate limiter (memory or Redis, built once in the lifespan)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


LimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def get_secret_key(request: Request) -> str:
    """The key this deployment signs with (configured, or generated once in the data folder)."""
    return str(request.app.state.secret_key)


SecretKeyDep = Annotated[str, Depends(get_secret_key)]


async def get_chat_limiter(request: Request) -> anyio.CapacityLimiter:
    """The threads chat turns run on (``FAQDESK_CHAT_THREADS``), apart from the web server's pool."""
    limiter: anyio.CapacityLimiter = request.app.state.chat_limiter
    return limiter


ChatLimiterDep = Annotated[anyio.CapacityLimiter, Depends(get_chat_limiter)]


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (uploads left out).

    Reading the body is the one async step of a form post; the handler that then touches the database
    stays a plain ``def`` so that FastAPI runs it in the thread pool (see ``api/app.py``'s rule).
    """
    form = await request.form()  # parsed once and cached on the request (the CSRF check reads it too)
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]
