"""`faqdesk serve` is the whole product on one machine, and the same product on several.

Real server processes (tests/servers.py): the embedded worker retrains after an intents edit and
closes idle conversations with no second command; two servers with their own data folders on one
database serve the model that only one of them trained.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import update
from sqlmodel import Session

from core.accounts import Role
from core.db import make_engine, session_scope
from core.settings import Settings
from support.models import Conversation, utcnow
from tests.admin.conftest import api_token
from tests.servers import MINI, add_intent, answered_within, ask, machine, serve, serve_env


def test_one_command_retrains_after_an_edit_and_closes_idle_conversations(
    site: Settings, tmp_path: Path, warm_cache: Path
) -> None:
    env = serve_env(
        machine(tmp_path / "one", warm_cache),
        site.database_url,
        training_data=str(MINI),
        worker_interval_seconds="1",
    )
    with serve(env, log=tmp_path / "serve.log") as base:
        idle = ask(base, "How can I pause my subscription?")
        add_intent(base)
        answered_within(base, 30)  # the bar: an edit is answered within 30 s, no second command

        # A visitor who left an hour ago: the worker in the server closes the conversation with an
        # outcome, and the dashboard counts it.
        engine = make_engine(site.database_url)
        with session_scope(engine) as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == idle["conversation"])  # type: ignore[arg-type]
                .values(last_visitor_at=utcnow() - timedelta(hours=1), started_at=utcnow() - timedelta(hours=1))
            )
        token = api_token(site, Role.admin)
        deadline = time.monotonic() + 30
        while True:
            with Session(engine) as session:
                closed = session.get(Conversation, idle["conversation"])
                if closed is not None and closed.outcome is not None:
                    break
            assert time.monotonic() < deadline, "the idle conversation was never closed"
            time.sleep(0.5)
        engine.dispose()
        metrics = httpx.get(f"{base}/api/v1/admin/metrics", headers={"Authorization": f"Bearer {token}"}).json()
        assert metrics["figures"]["resolved_assumed"]["value"] >= 1
