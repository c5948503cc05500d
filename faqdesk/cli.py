"""The ``faqdesk`` command: serve, train, evaluate, ask, create-user (the contract of DESIGN.md section 2)."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot import runtime
from bot.evaluate import format_table
from bot.model import FaqModel
from bot.policy import ConversationState, decide
from bot.problems import TrainingDataError
from core.accounts import Role
from core.settings import InsecureSettingsError, Settings, check_start

if TYPE_CHECKING:
    from support.worker import BackgroundWorker

app = typer.Typer(help="faqdesk: FAQ chatbot and help center.", no_args_is_help=True, add_completion=False)


@app.callback()
def _logging() -> None:
    """Every command logs through structlog: JSON lines on stderr unless FAQDESK_LOG_FORMAT=console."""
    from core import logs

    logs.configure_from_environment()


def _settings(**overrides: Any) -> Settings:
    values = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**values)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _checked_settings(*, warn: bool = True) -> Settings:
    """The settings for a long-running process: refused in production when insecure (every problem listed)."""
    settings = _settings()
    try:
        check_start(settings, warn=warn)
    except InsecureSettingsError as exc:
        raise _fail(str(exc), 2) from None
    return settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn reads the client's address: X-Forwarded-* only from FAQDESK_FORWARDED_ALLOW_IPS.

    uvicorn alone would believe the headers from 127.0.0.1 (or $FORWARDED_ALLOW_IPS), so any local
    client, or a proxy that passes the header through, could pick its own address per request and
    escape the per-address rate limits. Without the setting the socket's peer is the client.
    """
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


@app.command()
def train(
    data: Annotated[Path | None, typer.Option("--data", help="YAML file or folder (default training_data/)")] = None,
    locale: Annotated[str | None, typer.Option(help="Locale of Rasa NLU or JSON lines data")] = None,
) -> None:
    """Train from YAML and activate the model."""
    settings = _settings()
    try:
        model = runtime.train_and_activate(settings, data, locale=locale)
    except TrainingDataError as exc:
        raise _fail(str(exc), 2) from None
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    _record_active(settings, model.version)
    typer.echo(json.dumps(model.summary(), indent=2))


def _record_active(settings: Settings, version: str) -> None:
    """Tell the database which version is active, so every app process switches to it."""
    from sqlalchemy.engine import make_url

    from core.db import make_engine, session_scope
    from migrations import upgrade
    from support import training

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return  # no database yet, so no app process to tell; `serve` creates it and loads the active model
    try:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            with session_scope(engine) as session:
                training.activate(session, version=version, model_dir=settings.model_dir)
        finally:
            engine.dispose()
    except Exception as exc:  # the model is trained and active on disk; only the database is out of reach
        typer.echo(f"warning: model {version} is active, but the database was not updated: {exc}", err=True)


@app.command()
def evaluate(
    train: Annotated[Path, typer.Option("--train", help="Training data: faqdesk YAML, Rasa NLU YAML or JSON lines")],
    test: Annotated[Path, typer.Option("--test", help="Test messages as JSON lines")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here")] = None,
    locale: Annotated[str | None, typer.Option(help="Locale of data without one (Rasa NLU, JSON lines)")] = None,
    target_precision: Annotated[float | None, typer.Option(help="Answer precision to aim for")] = None,
) -> None:
    """Train on PATH, decide every test message with the chat's policy, print a table, write JSON."""
    settings = _settings(target_precision=target_precision)
    try:
        result = runtime.evaluate_paths(settings, train, test, locale=locale)
    except TrainingDataError as exc:
        raise _fail(str(exc), 2) from None
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(format_table(result))
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2))
        typer.echo(f"report written to {json_out}")


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The visitor's message")],
    locale: Annotated[str | None, typer.Option(help="Locale; detected when omitted")] = None,
) -> None:
    """Print the bot's decision for a message as JSON (trains the demo FAQ first if no model exists)."""
    settings = _settings()
    try:
        model = _active_or_trained(settings)
    except TrainingDataError as exc:
        raise _fail(str(exc), 2) from None
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if locale is not None and locale not in model.locales:
        raise _fail(f"unknown locale '{locale}' (model has: {', '.join(sorted(model.locales))})", 2)
    prediction = model.predict(text, locale=locale)
    decision = decide(prediction, model.intents, state=ConversationState(), config=runtime.policy_config(settings))
    out = {
        **asdict(decision),
        "candidates": [asdict(c) for c in prediction.candidates],
        "threshold": prediction.threshold,
        "model_version": model.version,
        "latency_ms": round(prediction.latency_ms, 2),
    }
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes; each loads the model (~0.35 GB)")] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Leave the background work to a separate `faqdesk worker`")
    ] = False,
) -> None:
    """Migrate the database, load the demo content into an empty one, make sure a model is active, and
    serve, running the background worker in this process unless --no-worker."""
    import uvicorn

    from api.app import create_app
    from core import memory
    from core.db import make_engine
    from core.errors import FaqdeskError
    from faqdesk import serving
    from migrations import upgrade
    from support import startup

    settings = _checked_settings(warn=False)  # warnings come from the app as it starts
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        # Trains in a child process when needed: this process only learns the version; the server
        # processes load the model themselves.
        startup.prepare(engine, settings, note=_note)
    except TrainingDataError as exc:
        raise _fail(str(exc), 2) from None
    except FaqdeskError as exc:  # intents the database cannot hold (an over-long id)
        raise _fail(exc.detail, 2) from None
    finally:
        engine.dispose()
    base = f"http://{host}:{port}"
    _note(f"help center: {base}/hc/en/  back office: {base}/admin/  API docs: {base}/docs")
    if not _has_users(settings):
        _note("no back-office account yet: faqdesk create-user --email you@example.com --role admin")
    options = {**uvicorn_options(settings), **serving.server_options(settings)}
    serving.prepare(settings)  # metrics shared by the server processes; SIGTERM ends with status 0
    # One worker for the whole server, in this process: with --workers it runs in the process that
    # supervises the server processes, so its duties run once, not once per server process.
    memory.limit_arenas()  # before the worker's and the server's threads start (core/memory.py)
    background = None if no_worker else _start_background_worker(settings)
    try:
        if workers == 1:
            uvicorn.run(create_app(settings), host=host, port=port, **options)
        else:  # each process builds its app from the same environment; they agree on the model through the database
            uvicorn.run("faqdesk.serving:app_factory", factory=True, host=host, port=port, workers=workers, **options)
    finally:
        if background is not None:
            background.stop()


def _note(message: str) -> None:
    """A line for the operator, logged like every other (JSON on stderr by default, so a log collector
    reads one format); also called from the child process that trains at start."""
    logging.getLogger("faqdesk.serve").info(message)


def _start_background_worker(settings: Settings) -> BackgroundWorker:
    from support.worker import BackgroundWorker

    background = BackgroundWorker(settings)
    background.start()
    return background


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="The account's email (its sign-in name)")],
    role: Annotated[Role, typer.Option(help="admin, editor or agent")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Create a back-office account; the password is prompted for (or read from stdin), never an argument."""
    from core import accounts
    from core.db import make_engine, session_scope
    from core.errors import FaqdeskError
    from migrations import upgrade

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            user = accounts.create_user(session, email=email, password=password, role=role, name=name)
            typer.echo(f"created {user.role.value} {user.email}; sign in at /admin/")
    except FaqdeskError as exc:
        raise _fail(exc.detail, 2) from None
    finally:
        engine.dispose()


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run every task once and exit")] = False,
) -> None:
    """Run the background tasks (closing conversations, retention, publishing, outbox) every few seconds."""
    import threading

    from core.db import make_engine
    from migrations import upgrade
    from support.worker import run_forever, run_once, stop_on_signals

    settings = _checked_settings()  # the worker signs the webhooks
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if once:
            results = run_once(engine, settings)
            typer.echo(json.dumps(results))
            if results["errors"]:
                raise typer.Exit(1)
            return
        stop = threading.Event()
        stop_on_signals(stop)  # SIGTERM finishes the round in progress, then exits cleanly
        run_forever(engine, settings, stop=stop)
    finally:
        engine.dispose()


@app.command("export")
def export_command(
    path: Annotated[str, typer.Argument(help="File to write the JSON lines to, or - for stdout")],
) -> None:
    """Export categories, articles, intents and conversations as JSON lines (`faqdesk import` reads them)."""
    import io
    import os

    from core.db import make_engine
    from migrations import upgrade
    from support import transfer

    settings = _settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if path == "-":
            if isinstance(sys.stdout, io.TextIOWrapper):
                sys.stdout.reconfigure(encoding="utf-8")  # the export is UTF-8 whatever the terminal's locale
            counts = transfer.export(engine, sys.stdout.write)
        else:  # written beside the target and renamed: a failed export never leaves half a file
            target = Path(path)
            partial = target.with_name(f".{target.name}.partial")
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                counts = transfer.export(engine, out.write)
            os.replace(partial, target)
    finally:
        engine.dispose()
    typer.echo("exported " + ", ".join(f"{n} {kind}" for kind, n in counts.items()), err=True)


@app.command("import")
def import_command(
    first: Annotated[str, typer.Argument(metavar="[FORMAT] PATH", help="The format (optional) and the path")],
    second: Annotated[str | None, typer.Argument(metavar="", help="", show_default=False)] = None,
    format_: Annotated[str | None, typer.Option("--format", help="Instead of FORMAT before the path")] = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="Into a database with content: add new records, update intents by id")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Intents: keep only the imported ones")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse conflicts instead of resolving them")] = False,
    locale: Annotated[str | None, typer.Option(help="Locale of rows or Rasa data without one")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the imported intents as faqdesk YAML")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change; write nothing")] = False,
) -> None:
    """Import into the database in one transaction: faqdesk (an export), rasa (a project), csv or xlsx (an
    FAQ spreadsheet), yaml (faqdesk intents), markdown (articles with front matter), zendesk (a Help Center
    export)."""
    from core.errors import FaqdeskError
    from core.settings import Settings
    from faqdesk import imports

    format_given, path = (first, second) if second is not None else (format_, first)
    configured = tuple(Settings().locales)  # a spreadsheet's "DE" or "en-US" is read as one of them
    options = imports.IntentOptions(merge=merge, replace=replace, strict=strict, locale=locale, locales=configured)
    try:
        imports.run(
            format_given, path, options=options, out=out, dry_run=dry_run, echo=lambda line: typer.echo(line, err=True)
        )
    except imports.ImportRefused as exc:
        raise _fail(str(exc), 2) from None
    except TrainingDataError as exc:
        raise _fail(f"{exc}\nnothing was imported", 2) from None
    except FaqdeskError as exc:
        raise _fail(f"{path}: {exc.detail}; nothing was imported", 2) from None


def _has_users(settings: Settings) -> bool:
    from sqlmodel import select

    from core.accounts import User
    from core.db import make_engine, session_scope

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return session.exec(select(User.id).limit(1)).first() is not None
    finally:
        engine.dispose()


def _active_or_trained(settings: Settings) -> FaqModel:
    """The active model, else one trained from the training files (and activated)."""
    try:
        return runtime.load_active(settings)
    except FileNotFoundError:
        reason = "no trained model yet"
    except ValueError as exc:  # trained with another encoder (or encoder backend): its vectors do not fit
        reason = str(exc).split(";")[0]
    _note(f"{reason}: training from {settings.training_data} ...")
    return runtime.train_and_activate(settings)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="faqdesk")


if __name__ == "__main__":
    main()
