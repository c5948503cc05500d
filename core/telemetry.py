"""The Prometheus metrics each process counts (prometheus-client), kept in ``core`` so ``support`` can count
a bot decision without importing the web layer.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``faqdesk serve`` sets it to a fresh folder under the data dir),
every process writes its counts to files there and a scrape of any process adds up all of them:
``--workers 4`` is one set of figures, not four that each see a quarter of the traffic. Without it (tests,
an app embedded elsewhere) the figures are the process's own, in prometheus-client's default registry.

What is read from the database at scrape time (queue depths, the active model) is not here: see
``api/observability.py`` and ``support/queues.py``.
"""

from __future__ import annotations

import atexit
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
    values,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: a chat turn aims at 150 ms (p99), pages at less; the tail buckets catch a stuck database.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "faqdesk_http_request_duration_seconds",
    "Time from a request's arrival to its response's first byte, by route template, method and status class.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
DECISIONS = Counter(
    "faqdesk_bot_decisions",
    "Bot turns by decision (answer, clarify, suggest, handoff; small_talk for greetings and thanks) and the "
    "locale answered in.",
    ["type", "locale"],
)
SERVING = Gauge(
    "faqdesk_model_serving",
    "1 for the model version a server process serves now (one series per live process and version).",
    ["version"],
    multiprocess_mode="liveall",
)

_serving: str | None = None
disable_created_metrics()  # no *_created series: they double the output and nobody graphs them


def count_decision(decision: str, locale: str) -> None:
    """One bot turn decided ``decision`` in ``locale``."""
    DECISIONS.labels(type=decision, locale=locale).inc()


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    """A request's latency; the status is counted by class (``2xx``...) to keep the series few."""
    REQUEST_SECONDS.labels(route=route, method=method, status=f"{status // 100}xx").observe(seconds)


def note_serving(version: str | None) -> None:
    """The model version this process serves (cheap when unchanged: called on every request)."""
    global _serving
    if version == _serving:
        return
    if _serving is not None:
        SERVING.labels(version=_serving).set(0)
    if version is not None:
        SERVING.labels(version=version).set(1)
    _serving = version


def prepare_multiprocess(folder: Path) -> Path:
    """Start a fresh multi-process folder for a server and its children (who inherit the environment).

    Each ``faqdesk serve`` gets ``folder/<its pid>``; folders of servers no longer running are deleted, so
    counts never carry over from an earlier run and two servers on one data dir never mix.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_dir() and not (old.name.isdigit() and _alive(int(old.name))):
            shutil.rmtree(old, ignore_errors=True)
    mine = folder / str(os.getpid())
    shutil.rmtree(mine, ignore_errors=True)
    mine.mkdir()
    os.environ[MULTIPROC_ENV] = str(mine)
    # prometheus-client picks file-backed values when it is imported with the variable set; the CLI
    # imports this module earlier, so pick again (no metric has a value yet at this point).
    values.ValueClass = values.get_value_class()
    return mine


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def server_process_started() -> None:
    """A server process (one of ``--workers``) is up: its live gauges go when it exits."""
    if multiprocess_dir():
        atexit.register(multiprocess.mark_process_dead, os.getpid())


class _Default(Collector):
    """The process's own metrics (default registry: ours plus process and Python figures)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def registry(*extra: Collector) -> CollectorRegistry:
    """A registry for one scrape: every process's metrics (or this process's), and ``extra``."""
    reg = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(reg)
    else:
        reg.register(_Default())
    for collector in extra:
        reg.register(collector)
    return reg


def samples(reg: CollectorRegistry) -> Iterator[tuple[str, dict[str, str], float]]:
    """Every sample of a registry (for tests and debugging)."""
    for metric in reg.collect():
        for sample in metric.samples:
            yield sample.name, dict(sample.labels), sample.value
