"""Request ids, the access log and the metrics of the HTTP layer (``install`` puts them on the app).

Every request gets an id: the caller's ``X-Request-ID`` when it is a short token (a proxy's or a load
balancer's, so one id follows the request through both logs), else a new one. It is bound to every log
line written while the request is handled, threads it starts included, and sent back as ``X-Request-ID``.
When the request ends, one access line says its method, route template (``/api/v1/conversations/
{conversation_id}/messages``, never the raw path with its ids, nor a query string or body), status,
duration and id; its latency goes into the histogram of ``core/telemetry.py``.

``/metrics`` (``api/routes/metrics.py``) is for the operator's Prometheus only. With
``FAQDESK_METRICS_TOKEN`` set it needs ``Authorization: Bearer <token>`` from anywhere. Without, it answers
only a client on a loopback or private address that came directly, not through a proxy (a request
carrying ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP`` is from outside as far as this check goes,
since a reverse proxy on the same host would otherwise make every visitor look local).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable

from fastapi import FastAPI, Request
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.model import FaqModel
from core import logs, telemetry
from core.db import session_scope
from core.errors import ForbiddenError, UnauthorizedError
from core.security import same
from core.settings import Settings
from support import queues

access_log = logging.getLogger("faqdesk.access")
log = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._~+/=:-]{1,64}")  # token characters, short: safe to log and echo
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}  # probes and scrapes log at debug, not every few seconds
SCRAPE_CACHE_SECONDS = 5.0
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def request_id(incoming: str | None) -> str:
    """The caller's id when it is a short token, else a new one."""
    if incoming and REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (a mount's prefix for static files), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class Observe:
    """ASGI middleware, outermost: request id, access line, latency. Plain ASGI, so event streams pass as sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # say which version this process serves as soon as it is up
            await self.app(scope, receive, _noting_startup(scope, send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = request_id(incoming)
        tokens = logs.bind(request_id=rid)
        status = 500  # if the app raises before answering, the server's error response is a 500
        answered = False

        def observe() -> None:
            route, seconds = route_template(scope), time.perf_counter() - started
            telemetry.observe_request(route=route, method=scope["method"], status=status, seconds=seconds)

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                MutableHeaders(scope=message)["X-Request-ID"] = rid
                observe()
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            failed = True
            raise
        finally:
            if not answered:
                observe()
            route = route_template(scope)
            fields = {"method": scope["method"], "route": route, "status": status}
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
            access_log.log(logging.DEBUG if route in QUIET_ROUTES else logging.INFO, "request", extra=fields)
            telemetry.note_serving(_serving_version(scope))  # a model swap shows from the next request on
            if not failed:  # else the id stays for the server's traceback line, logged next in this request's task
                logs.unbind(tokens)


def _serving_version(scope: Scope) -> str | None:
    return getattr(getattr(getattr(scope.get("app"), "state", None), "model", None), "version", None)


def _noting_startup(scope: Scope, send: Send) -> Send:
    async def noting(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            telemetry.note_serving(_serving_version(scope))
        await send(message)

    return noting


class StateCollector(Collector):
    """Gauges read from the database at scrape time (a few counts), cached for a few seconds so that
    scrapes, however frequent, cost the database at most one round of counts per interval."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.cached: tuple[float, queues.Depths | None] = (-SCRAPE_CACHE_SECONDS, None)

    def depths(self) -> queues.Depths | None:
        with self.lock:
            at, found = self.cached
            if time.monotonic() - at >= SCRAPE_CACHE_SECONDS:
                try:
                    with session_scope(self.app.state.engine) as session:
                        found = queues.depths(session)
                except Exception:  # the scrape still answers; faqdesk_database_up says what went wrong
                    log.warning("reading queue depths for /metrics failed", exc_info=True)
                    found = None
                self.cached = (time.monotonic(), found)
            return found

    def collect(self) -> Iterable[Metric]:
        found = self.depths()
        up = GaugeMetricFamily("faqdesk_database_up", "1 when the last scrape could read the database.")
        up.add_metric([], 0 if found is None else 1)
        yield up
        if found is None:
            return
        outbox = GaugeMetricFamily("faqdesk_outbox_items", "Emails and webhooks not sent yet.", labels=["state"])
        outbox.add_metric(["due"], found.outbox_due)
        outbox.add_metric(["waiting"], found.outbox_waiting)
        yield outbox
        jobs = GaugeMetricFamily("faqdesk_training_jobs", "Retrains waiting or running.", labels=["state"])
        jobs.add_metric(["queued"], found.training_queued)
        jobs.add_metric(["running"], found.training_running)
        yield jobs
        tickets = GaugeMetricFamily("faqdesk_handoffs", "Handoff tickets not resolved yet.", labels=["state"])
        tickets.add_metric(["open"], found.handoffs_open)
        tickets.add_metric(["assigned"], found.handoffs_assigned)
        yield tickets
        yield GaugeMetricFamily(
            "faqdesk_handoff_oldest_open_age_seconds",
            "How long the longest-waiting ticket no agent has taken has waited (0 when none waits).",
            value=found.oldest_open_seconds,
        )
        if found.active_version:
            active = InfoMetricFamily("faqdesk_model_active", "The model version every process should serve.")
            active.add_metric([], {"version": found.active_version})
            yield active
        yield from _answering(getattr(self.app.state, "model", None))


def _answering(model: FaqModel | None) -> Iterable[Metric]:
    """Each locale's answer threshold, estimated out-of-scope share and expected precision, as the model
    this process serves has them now: an alert on the threshold above 1 catches a locale whose reviews
    left it answering no question outright (the dashboard's red alert, for whoever watches Prometheus)."""
    if model is None:
        return
    threshold = GaugeMetricFamily(
        "faqdesk_answer_threshold",
        "The confidence a question needs to be answered outright, by locale (above 1: no question is).",
        labels=["locale"],
    )
    share = GaugeMetricFamily(
        "faqdesk_out_of_scope_share",
        "The bot's estimate of the share of questions it has no answer for.",
        labels=["locale"],
    )
    precision = GaugeMetricFamily(
        "faqdesk_expected_answer_precision",
        "The share of outright answers the bot expects to be right at its threshold, by locale.",
        labels=["locale"],
    )
    for loc, lm in sorted(model.locales.items()):
        threshold.add_metric([loc], lm.threshold)
        share.add_metric([loc], lm.oos_share)
        precision.add_metric([loc], lm.expected_precision)
    yield from (threshold, share, precision)


def scrape(app: FastAPI) -> bytes:
    """The Prometheus text of every process's metrics and the database gauges (blocking: run in a thread)."""
    telemetry.note_serving(getattr(app.state.model, "version", None))
    return generate_latest(telemetry.registry(app.state.state_collector))


def check_metrics_access(request: Request, settings: Settings) -> None:
    """Refuse a scrape that is not the operator's (see the module docstring)."""
    if settings.metrics_token:
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not given or not same(given, settings.metrics_token):
            raise UnauthorizedError("/metrics needs the bearer token of FAQDESK_METRICS_TOKEN")
        return
    forwarded = any(name in request.headers for name in FORWARDING_HEADERS)
    if forwarded or not _is_local(request.client.host if request.client else ""):
        raise ForbiddenError("/metrics answers local clients only; set FAQDESK_METRICS_TOKEN to scrape from elsewhere")


def _is_local(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def install(app: FastAPI, settings: Settings) -> None:
    """The request-id, access-log and latency middleware (outermost) and what ``/metrics`` reads from the
    database (the route itself is included with the others; its access rule reads the settings per scrape)."""
    del settings
    app.state.state_collector = StateCollector(app)
    app.add_middleware(Observe)
    telemetry.server_process_started()
