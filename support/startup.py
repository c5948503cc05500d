"""What a server needs before it serves: demo content in an empty database, the FAQ intents, an active model.

``faqdesk serve`` calls ``prepare`` once, before it starts any server process. Servers on several
machines may start at once against one PostgreSQL: they prepare one after the other (``core.db.exclusive``),
so the second finds the content seeded and the model trained, and only fetches that model.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import runtime
from core import isolated
from core.db import exclusive, make_engine, session_scope
from core.settings import Settings
from helpcenter import content
from support import intents, model_files, training
from support.worker import training_input

PREPARE_LOCK = 7_317_002  # the advisory lock key of ``prepare`` (migrations use 7_317_001)

Note = Callable[[str], None]


def prepare(engine: Engine, settings: Settings, *, note: Note) -> str:
    """Seed an empty database, make sure a model is active and on this machine; returns its version."""
    with exclusive(engine, PREPARE_LOCK):
        with session_scope(engine) as session:
            demo = settings.training_data / "articles"  # beside the intents: FAQDESK_TRAINING_DATA moves both
            if content.is_empty(session) and not demo.is_dir():
                note(f"no demo content: {demo} is not a folder (the help center starts empty)")
            elif content.is_empty(session):
                loaded = content.load_folder(session, folder=demo)
                note(f"loaded demo content: {loaded.categories} categories, {loaded.articles} articles")
            # Editors maintain the intents in the back office; the first start copies them from the files.
            seeded = intents.seed_from_files(session, path=settings.training_data, locales=settings.locales)
            if seeded:
                note(f"loaded {seeded} FAQ intents from {settings.training_data}")
        if settings.train_in_subprocess:  # the serving process never holds what training loads
            return isolated.call(ensure_active_model, settings, note)
        return ensure_active_model(settings, note)


def ensure_active_model(settings: Settings, note: Note) -> str:
    """The version to serve: the database's active one (fetched if this machine lacks it), else this
    machine's own active model (published), else one trained from the database's intents."""
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            version = training.active_version(session)
        if version is None:
            reason = "no trained model yet"
            local = _local_active(settings)
            if local is not None:  # trained by `faqdesk train` before there was a database: tell it
                _activate(engine, settings, local)
                return local
        elif model_files.ensure_local(engine, model_dir=settings.model_dir, version=version):
            usable, reason = _usable(settings, version)
            if usable:
                return version
        else:  # activated by a version of faqdesk that kept models on one machine only
            reason = f"the active model {version} is neither here nor in the database"
        note(f"{reason}: training from the FAQ intents ...")
        with Session(engine) as session:
            data = training_input(session, settings)
        version = training.train_data(data, settings)
        _activate(engine, settings, version)
        return version
    finally:
        engine.dispose()


def _usable(settings: Settings, version: str) -> tuple[bool, str]:
    try:
        runtime.load_version(settings, version)
    except ValueError as exc:  # trained with another encoder (or encoder backend): its vectors do not fit
        return False, str(exc).split(";")[0]
    return True, ""


def _local_active(settings: Settings) -> str | None:
    try:
        return runtime.load_active(settings).version
    except (FileNotFoundError, ValueError, OSError, EOFError):
        return None


def _activate(engine: Engine, settings: Settings, version: str) -> None:
    with session_scope(engine) as session:
        training.activate(session, version=version, model_dir=settings.model_dir)
