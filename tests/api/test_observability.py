"""Logs and metrics of the HTTP layer: JSON lines with the request's id on each, no visitor text, and a
/metrics endpoint for the operator only (api/observability.py, core/logs.py, core/telemetry.py)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from bot.model import FaqModel
from core.db import make_engine, session_scope
from support import conversations, training
from support.models import ActiveModel, TrainingJob
from tests.admin.conftest import make_settings
from tests.logcapture import captured_logs

LOCAL = ("127.0.0.1", 50000)


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory, _demo_model: FaqModel) -> Iterator[TestClient]:
    folder = Path(tmp_path_factory.mktemp("observability"))
    settings = make_settings(folder, metrics_token="")
    with TestClient(create_app(settings), client=LOCAL) as client:
        client.app.state.model = _demo_model  # type: ignore[attr-defined]
        yield client


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    """Every log line of the test, at the most verbose level, as faqdesk writes them in production."""
    with captured_logs("DEBUG") as stream:
        yield stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def start(client: TestClient, locale: str = "en") -> tuple[str, dict[str, str]]:
    response = client.post("/api/v1/conversations", json={"locale": locale})
    assert response.status_code == 201
    body = response.json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def test_every_line_of_a_request_is_json_with_its_request_id(
    observed: TestClient, captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, auth = start(observed)
    real_turn = conversations.visitor_turn

    def turn_that_logs(*args: object, **kwargs: object) -> conversations.Turn:
        logging.getLogger("support.conversations").info("deciding a turn")  # a service's line, on the chat thread
        return real_turn(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(conversations, "visitor_turn", turn_that_logs)
    captured.truncate(0)
    captured.seek(0)
    response = observed.post(f"/api/v1/conversations/{cid}/messages", json={"text": "Where is my order?"}, headers=auth)
    assert response.status_code == 200
    rid = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)  # none was sent: a new one
    found = [line for line in lines(captured) if line.get("logger") != "httpx2"]  # the test client's own line
    assert {"deciding a turn", "request"} <= {line["event"] for line in found}
    for line in found:
        assert {"timestamp", "level", "logger", "event"} <= line.keys(), line
        assert line["request_id"] == rid, line
    access = next(line for line in found if line["event"] == "request")
    assert access["route"] == "/api/v1/conversations/{conversation_id}/messages"  # the template, not the id
    assert (access["method"], access["status"]) == ("POST", 200) and float(access["duration_ms"]) > 0  # type: ignore[arg-type]
    assert cid not in json.dumps(found)


def test_a_sane_incoming_request_id_is_kept_and_another_is_replaced(observed: TestClient) -> None:
    assert observed.get("/healthz", headers={"X-Request-ID": "lb-7f3a.91"}).headers["X-Request-ID"] == "lb-7f3a.91"
    for bad in ("x" * 65, "two words", "<script>", "a\\b"):
        rid = observed.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert rid != bad and re.fullmatch(r"[0-9a-f]{32}", rid)


def test_a_visitors_words_email_and_name_never_reach_the_logs(observed: TestClient, captured: io.StringIO) -> None:
    secret = "my parcel zebracorn 4711 never came"
    cid, auth = start(observed)
    for text in (secret, "I want to talk to a person please, zebracorn"):
        response = observed.post(f"/api/v1/conversations/{cid}/messages", json={"text": text}, headers=auth)
        assert response.status_code == 200
    handoff = {"email": "jane.quux@example.org", "name": "Jane Quux", "message": "call me about zebracorn"}
    assert observed.post(f"/api/v1/conversations/{cid}/handoff", json=handoff, headers=auth).status_code == 201
    observed.post(f"/api/v1/conversations/{cid}/messages", json={"text": "zebracorn again"}, headers=auth)
    observed.post(f"/api/v1/conversations/{cid}/rating", json={"score": 2, "comment": "zebracorn bad"}, headers=auth)
    written = captured.getvalue()
    assert '"event": "request"' in written  # the requests were logged ...
    for private in ("zebracorn", "jane.quux", "example.org", "Quux"):
        assert private not in written  # ... but nothing the visitor wrote


def test_an_email_in_a_log_line_is_masked(captured: io.StringIO) -> None:
    logging.getLogger("support.test").warning("sending to %s failed", "someone@example.com")
    assert lines(captured)[-1]["event"] == "sending to [email] failed"


def metric(text: str, name: str, **labels: str) -> float | None:
    """A sample's value from Prometheus text, by its name and exact labels."""
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and dict(re.findall(r'(\w+)="([^"]*)"', match[2] or "")) == labels:
            return float(match[3])
    return None


def scrape(client: TestClient) -> str:
    client.app.state.state_collector.cached = (float("-inf"), None)  # type: ignore[attr-defined]  # read afresh
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_metrics_count_latency_by_route_and_decisions_by_type_and_locale(observed: TestClient) -> None:
    before = scrape(observed)
    answers_de = metric(before, "faqdesk_bot_decisions_total", type="answer", locale="de") or 0.0
    small_talk_de = metric(before, "faqdesk_bot_decisions_total", type="small_talk", locale="de") or 0.0
    cid, auth = start(observed, "de")
    reply = observed.post(f"/api/v1/conversations/{cid}/messages", json={"text": "Hallo!"}, headers=auth).json()
    assert (reply["type"], reply["intent"]) == ("answer", "greeting")
    reply = observed.post(
        f"/api/v1/conversations/{cid}/messages", json={"text": "Wo ist meine Bestellung?"}, headers=auth
    ).json()
    assert (reply["type"], reply["intent"]) == ("answer", "track_order")
    after = scrape(observed)
    # The greeting is small talk, not an answered question.
    assert metric(after, "faqdesk_bot_decisions_total", type="small_talk", locale="de") == small_talk_de + 1
    assert metric(after, "faqdesk_bot_decisions_total", type="answer", locale="de") == answers_de + 1
    route = "/api/v1/conversations/{conversation_id}/messages"
    count = metric(after, "faqdesk_http_request_duration_seconds_count", method="POST", route=route, status="2xx")
    assert count is not None and count >= 1
    bucket = metric(
        after, "faqdesk_http_request_duration_seconds_bucket", le="+Inf", method="POST", route=route, status="2xx"
    )
    assert bucket == count
    assert cid not in after  # routes by template only: series stay few


def test_metrics_report_queue_depths_and_model_versions(observed: TestClient, _demo_model: FaqModel) -> None:
    engine = make_engine(observed.app.state.settings.database_url)  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        job_id = training.queue_training(session, requested_by="ed@example.com", reason="test").id
        session.merge(ActiveModel(id=1, version="v-active-123"))
    cid, auth = start(observed)
    handoff = {"email": "visitor@example.com"}
    assert observed.post(f"/api/v1/conversations/{cid}/handoff", json=handoff, headers=auth).status_code == 201
    text = scrape(observed)
    assert metric(text, "faqdesk_database_up") == 1
    assert (metric(text, "faqdesk_training_jobs", state="queued") or 0) >= 1
    assert metric(text, "faqdesk_training_jobs", state="running") is not None
    assert (metric(text, "faqdesk_handoffs", state="open") or 0) >= 1
    waited = metric(text, "faqdesk_handoff_oldest_open_age_seconds")  # the handoff just made waits
    assert waited is not None and 0 <= waited < 3600
    assert metric(text, "faqdesk_outbox_items", state="due") is not None
    assert metric(text, "faqdesk_outbox_items", state="waiting") is not None
    assert metric(text, "faqdesk_model_active_info", version="v-active-123") == 1
    assert metric(text, "faqdesk_model_serving", version=_demo_model.version) == 1
    with Session(engine) as session:  # leave the module's database as it was
        session.delete(session.get(TrainingJob, job_id))
        session.delete(session.get(ActiveModel, 1))  # else the app keeps trying to load that version
        session.commit()
    engine.dispose()


def test_metrics_report_each_locales_threshold_share_and_expected_precision(
    observed: TestClient, _demo_model: FaqModel
) -> None:
    for _ in range(3):  # the app's traffic follower may swap in a re-estimated model meanwhile: read again
        served = observed.app.state.model  # type: ignore[attr-defined]
        text = scrape(observed)
        if observed.app.state.model is served:  # type: ignore[attr-defined]
            break
    assert len(served.locales) == 3
    for loc, lm in served.locales.items():
        assert metric(text, "faqdesk_answer_threshold", locale=loc) == pytest.approx(lm.threshold)
        assert metric(text, "faqdesk_out_of_scope_share", locale=loc) == pytest.approx(lm.oos_share)
        assert metric(text, "faqdesk_expected_answer_precision", locale=loc) == pytest.approx(lm.expected_precision)
    observed.app.state.model = None  # type: ignore[attr-defined]  # a process that has no model yet
    try:
        assert "faqdesk_answer_threshold" not in scrape(observed)
    finally:
        observed.app.state.model = _demo_model  # type: ignore[attr-defined]


def test_metrics_refuse_public_and_proxied_clients_without_a_token(observed: TestClient) -> None:
    app = observed.app
    public = TestClient(app)  # the module's app, still running; the test client's address "testclient" is not local
    assert public.get("/metrics").status_code == 403
    via_proxy = observed.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert via_proxy.status_code == 403  # a reverse proxy on this host would make everyone look local
    assert TestClient(app, client=("10.1.2.3", 4000)).get("/metrics").status_code == 200
    assert "/metrics" not in observed.get("/openapi.json").json()["paths"]


def test_with_a_token_metrics_need_it_from_everyone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token="scrape-me-0123456789")
    with TestClient(create_app(settings), client=LOCAL) as local:
        assert local.get("/metrics").status_code == 401  # even from loopback
        assert local.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with TestClient(create_app(settings)) as anywhere:
        response = anywhere.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
        assert response.status_code == 200 and "faqdesk_http_request_duration_seconds" in response.text


def test_a_request_that_crashes_is_logged_and_measured_as_a_500(captured: io.StringIO) -> None:
    from fastapi import FastAPI

    from api.observability import Observe
    from core import telemetry

    app = FastAPI()

    @app.get("/test/crash/{thing}")
    def crash(thing: str) -> None:
        raise RuntimeError("boom")

    app.add_middleware(Observe)
    response = TestClient(app, raise_server_exceptions=False).get("/test/crash/1", headers={"X-Request-ID": "c-1"})
    assert response.status_code == 500
    access = next(line for line in lines(captured) if line["event"] == "request")
    assert (access["route"], access["status"], access["request_id"]) == ("/test/crash/{thing}", 500, "c-1")
    found = telemetry.samples(telemetry.registry())
    labels = {"route": "/test/crash/{thing}", "method": "GET", "status": "5xx"}
    assert ("faqdesk_http_request_duration_seconds_count", labels, 1.0) in list(found)
