"""Dependencies routes declare in their signatures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from bot.model import FaqModel
from core.errors import NotFoundError
from core.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    """The app's settings (async: a plain sync dependency would cost a hop to the thread pool)."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, committed when the handler succeeds."""
    with Session(request.app.state.engine) as session:
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


async def get_model(request: Request) -> FaqModel | None:
    """The model this process serves right now (None before the first training)."""
    model: FaqModel | None = request.app.state.model
    return model


OptionalModelDep = Annotated[FaqModel | None, Depends(get_model)]


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (uploads left out).

    Reading the body is the one async step of a form post; the handler that then touches the database
    stays a plain ``def`` so that FastAPI runs it in the thread pool (see ``api/app.py``'s rule).
    """
    form = await request.form()  # parsed once and cached on the request (the CSRF check reads it too)
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]
