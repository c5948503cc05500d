"""Logging set up by core/logs.py: the worker's lines name their task; console format for people."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from core import isolated, logs
from core.settings import Settings
from support import worker
from tests.logcapture import captured_logs


@pytest.fixture()
def stream() -> Iterator[io.StringIO]:
    with captured_logs("INFO") as out:
        yield out


def test_the_workers_lines_name_their_task(
    stream: io.StringIO, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closing(*_args: object) -> int:
        logging.getLogger("support.outcomes").info("closing conversations")
        return 0

    monkeypatch.setattr(worker, "TASKS", {"closed": closing})
    worker.run_once(engine, Settings(_env_file=None))
    line = next(json.loads(x) for x in stream.getvalue().splitlines() if "closing conversations" in x)
    assert line["task"] == "closed" and "request_id" not in line
    logging.getLogger("support.worker").info("between rounds")
    assert "task" not in json.loads(stream.getvalue().splitlines()[-1])  # unbound after the task


def test_configuring_twice_keeps_one_handler_and_console_is_text() -> None:
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    out = io.StringIO()
    try:
        logs.configure(fmt="json", handler=logging.StreamHandler(io.StringIO()))
        handler = logs.configure(fmt="console", handler=logging.StreamHandler(out))
        assert [h for h in root.handlers if h not in before] == [handler]  # the first one was replaced
        logging.getLogger("faqdesk.test").warning("disk %s almost full", "var")
        text = out.getvalue()
        assert "disk var almost full" in text and not text.lstrip().startswith("{")
    finally:
        for h in [h for h in root.handlers if h not in before]:
            root.removeHandler(h)
        root.setLevel(level)


def _log_in_child() -> str:
    logging.getLogger("support.training").info("training in a child")
    return "done"


def test_a_child_process_logs_json_with_its_parents_context(capfd: pytest.CaptureFixture[str]) -> None:
    with logs.bound(task="trained"):
        assert isolated.call(_log_in_child) == "done"
    line = next(json.loads(x) for x in capfd.readouterr().err.splitlines() if "training in a child" in x)
    assert line["task"] == "trained" and line["logger"] == "support.training"
