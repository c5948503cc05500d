"""Metrics across processes: with PROMETHEUS_MULTIPROC_DIR, a scrape of one process reports all of them
(core/telemetry.py), and each `faqdesk serve` starts from a folder of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import values

from core import telemetry

ROOT = Path(__file__).resolve().parents[2]
COUNT = "from core import telemetry; telemetry.count_decision('answer', 'nl'); telemetry.note_serving('v{n}')"


def test_a_scrape_adds_up_every_server_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, telemetry.MULTIPROC_ENV: str(tmp_path)}
    for n in (1, 2):  # two server processes, as --workers 2 runs them
        subprocess.run([sys.executable, "-c", COUNT.format(n=n)], cwd=ROOT, env=env, check=True)
    monkeypatch.setenv(telemetry.MULTIPROC_ENV, str(tmp_path))
    found = list(telemetry.samples(telemetry.registry()))
    assert ("faqdesk_bot_decisions_total", {"type": "answer", "locale": "nl"}, 2.0) in found
    serving = sorted(labels["version"] for name, labels, value in found if name == "faqdesk_model_serving")
    assert serving == ["v1", "v2"]  # each process says which version it serves (exited ones until cleaned)


def test_each_server_starts_a_clean_folder_and_removes_those_of_servers_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)  # restored after the test
    monkeypatch.delenv(telemetry.MULTIPROC_ENV, raising=False)
    gone = tmp_path / "999999999"  # no such process
    gone.mkdir()
    (gone / "counter_1.db").write_bytes(b"old")
    running = tmp_path / "1"  # init: alive, another server's folder stays
    running.mkdir()
    mine = telemetry.prepare_multiprocess(tmp_path)
    assert mine == tmp_path / str(os.getpid()) and list(mine.iterdir()) == []
    assert os.environ[telemetry.MULTIPROC_ENV] == str(mine)
    assert not gone.exists() and running.exists()
    monkeypatch.delenv(telemetry.MULTIPROC_ENV)
