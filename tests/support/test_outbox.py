"""The outbox: emails to a real local SMTP server, signed webhooks to a real local HTTP server, retries, claims."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import ValidationError
from support import outbox
from support.models import OutboxItem
from tests.support.handoff_fixtures import support_settings

T0 = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
SECRET = "s3cret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Receiver:
    """A webhook receiver: records every request and answers with the next scripted status (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class Mailbox:
    """aiosmtpd handler: keeps every message received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's naming)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture()
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture()
def db(engine: Engine) -> Iterator[Engine]:
    """The test database with an empty outbox; deliver_due commits, so these tests clean up after themselves."""
    with Session(engine) as s:
        s.exec(delete(OutboxItem))
        s.commit()
    yield engine
    with Session(engine) as s:
        s.exec(delete(OutboxItem))
        s.commit()


def queued_webhook(engine: Engine, url: str, *, event: str = "handoff.created", n: int = 1) -> list[int]:
    settings = support_settings(webhook_urls=[url])
    with Session(engine) as s:
        ids = []
        for i in range(n):
            (item,) = outbox.queue_webhook(
                s, event=event, payload={"handoff_id": i, "text": "Grüße <b>"}, settings=settings
            )
            item.created_at = item.next_attempt_at = T0
            s.add(item)
            s.flush()
            ids.append(item.id)
        s.commit()
    return [i for i in ids if i is not None]


def load(engine: Engine, item_id: int) -> OutboxItem:
    with Session(engine) as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None
        s.expunge(item)
        return item


def deliver(engine: Engine, *, now: datetime, **settings: Any) -> int:
    with Session(engine) as s:
        return outbox.deliver_due(s, settings=support_settings(**settings), now=now)


def test_webhook_is_signed_and_delivered(db: Engine, receiver: Receiver) -> None:
    (item_id,) = queued_webhook(db, receiver.url)
    before = int(time.time())
    assert deliver(db, now=T0) == 1
    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hook"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Faqdesk-Event"] == "handoff.created"
    assert headers["X-Faqdesk-Delivery"] == str(item_id)
    timestamp = headers["X-Faqdesk-Timestamp"]
    assert before <= int(timestamp) <= int(time.time())
    # Verify as a receiver would: HMAC-SHA256 over "<timestamp>.<raw body>".
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Faqdesk-Signature"] == f"sha256={expected}"
    assert outbox.verify_signature(
        secret=SECRET, timestamp=timestamp, body=body, signature=headers["X-Faqdesk-Signature"]
    )
    envelope = json.loads(body)
    assert envelope == {
        "event": "handoff.created",
        "delivery": item_id,
        "created_at": T0.isoformat(),
        "data": {"handoff_id": 0, "text": "Grüße <b>"},
    }
    item = load(db, item_id)
    assert item.delivered_at == T0
    assert item.attempts == 1
    assert item.last_error == ""


def test_a_round_with_nothing_due_opens_no_http_client(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    queued_webhook(db, "http://127.0.0.1:9/hook")  # due at T0, not before
    monkeypatch.setattr(outbox.httpx, "Client", lambda **_: pytest.fail("a client for nothing to send"))
    assert deliver(db, now=T0 - timedelta(seconds=1)) == 0


def test_verify_signature_refuses_tampering_and_replays() -> None:
    body = b'{"a":1}'
    signature = outbox.sign(secret=SECRET, timestamp="1700000000", body=body)
    ok = {"secret": SECRET, "timestamp": "1700000000", "body": body, "signature": signature, "now": 1700000100.0}
    assert outbox.verify_signature(**ok)  # type: ignore[arg-type]
    assert not outbox.verify_signature(**ok | {"body": b'{"a":2}'})  # type: ignore[arg-type]
    assert not outbox.verify_signature(**ok | {"secret": "other"})  # type: ignore[arg-type]
    assert not outbox.verify_signature(**ok | {"now": 1700000000.0 + 3600})  # type: ignore[arg-type]
    assert not outbox.verify_signature(**ok | {"timestamp": "soon"})  # type: ignore[arg-type]


def test_retries_with_backoff_after_500s_then_gives_up(db: Engine, receiver: Receiver) -> None:
    receiver.statuses = [500] * 20
    (item_id,) = queued_webhook(db, receiver.url)
    now = T0
    delays = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert deliver(db, now=now) == 0
        assert len(receiver.requests) == attempt
        item = load(db, item_id)
        assert item.attempts == attempt
        assert item.last_error.startswith("DeliveryError: HTTP 500")
        if attempt < outbox.MAX_ATTEMPTS:
            assert item.failed_at is None
            delay = item.next_attempt_at - now
            delays.append(delay)
            expected = min(30 * 2 ** (attempt - 1), 3600)
            assert timedelta(seconds=expected) <= delay <= timedelta(seconds=min(expected * 1.1, 3600))
            # Not due before its time.
            assert deliver(db, now=item.next_attempt_at - timedelta(seconds=1)) == 0
            assert len(receiver.requests) == attempt
            now = item.next_attempt_at
    item = load(db, item_id)
    assert item.failed_at == now  # given up after the last attempt
    assert item.delivered_at is None
    assert deliver(db, now=now + timedelta(days=30)) == 0
    assert len(receiver.requests) == outbox.MAX_ATTEMPTS
    assert delays == sorted(delays)


def test_a_retry_that_succeeds_clears_the_error(db: Engine, receiver: Receiver) -> None:
    receiver.statuses = [503]
    (item_id,) = queued_webhook(db, receiver.url)
    assert deliver(db, now=T0) == 0
    item = load(db, item_id)
    assert deliver(db, now=item.next_attempt_at) == 1
    item = load(db, item_id)
    assert item.attempts == 2
    assert item.delivered_at is not None
    assert item.last_error == ""
    # Both attempts carried the same delivery id, so the receiver can drop a duplicate.
    assert {r["headers"]["X-Faqdesk-Delivery"] for r in receiver.requests} == {str(item_id)}


def test_backoff_is_capped_at_an_hour() -> None:
    assert outbox.backoff(1) >= timedelta(seconds=30)
    assert outbox.backoff(7) <= timedelta(hours=1)
    assert outbox.backoff(8) == timedelta(hours=1)  # 30 s × 2^7 is past the cap
    assert outbox.backoff(30) == timedelta(hours=1)


def test_unreachable_receiver_is_an_error_not_a_crash(db: Engine) -> None:
    (item_id,) = queued_webhook(db, f"http://127.0.0.1:{free_port()}/nobody")
    assert deliver(db, now=T0) == 0
    item = load(db, item_id)
    assert item.attempts == 1
    assert "ConnectError" in item.last_error


def test_two_deliveries_do_not_send_twice(db: Engine, receiver: Receiver) -> None:
    queued_webhook(db, receiver.url, n=3)
    assert deliver(db, now=T0) == 3
    assert deliver(db, now=T0) == 0
    assert deliver(db, now=T0 + timedelta(days=1)) == 0
    assert len(receiver.requests) == 3


def test_two_concurrent_workers_send_each_item_once(db: Engine, receiver: Receiver) -> None:
    ids = queued_webhook(db, receiver.url, n=12)
    receiver.delay = 0.02  # keeps both workers busy at the same time
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(deliver(db, now=T0))
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == len(ids)
    sent = [int(r["headers"]["X-Faqdesk-Delivery"]) for r in receiver.requests]
    assert sorted(sent) == sorted(ids)  # every item exactly once


def test_a_claimed_item_is_left_alone_until_the_claim_expires(db: Engine, receiver: Receiver) -> None:
    (item_id,) = queued_webhook(db, receiver.url)
    with Session(db) as s:  # a worker claims the item, then dies before sending
        assert outbox._claim(s, item_id=item_id, now=T0) is not None
    assert deliver(db, now=T0 + timedelta(seconds=10)) == 0
    assert receiver.requests == []
    assert deliver(db, now=T0 + outbox.CLAIM) == 1  # at least once: it is sent after all
    assert len(receiver.requests) == 1


def test_email_is_sent_over_smtp(db: Engine, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    with Session(db) as s:
        item = outbox.queue_email(
            s, to="Ana@Example.com", subject="A reply\r\nBcc: evil@example.com", body="Hello Ana,\n\nGrüße", event="x"
        )
        item.next_attempt_at = T0
        s.add(item)
        s.commit()
        item_id = item.id
    assert item_id is not None
    sent = deliver(db, now=T0, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_from="help@shop.test")
    assert sent == 1
    (message,) = mailbox.messages
    assert mailbox.envelopes == [("help@shop.test", ["ana@example.com"])]
    assert message["From"] == "help@shop.test"
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "A reply Bcc: evil@example.com"  # the line break never became a header
    assert message["Bcc"] is None
    assert message["Message-ID"].startswith(f"<faqdesk.{item_id}.")
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert (
        payload.decode(message.get_content_charset() or "utf-8").replace("\r\n", "\n").strip() == "Hello Ana,\n\nGrüße"
    )
    assert load(db, item_id).delivered_at == T0


def test_without_an_smtp_host_emails_stay_queued(db: Engine, receiver: Receiver) -> None:
    with Session(db) as s:
        email = outbox.queue_email(s, to="ana@example.com", subject="Hi", body="Hi", event="x")
        email.next_attempt_at = T0
        s.add(email)
        s.commit()
        email_id = email.id
    assert email_id is not None
    queued_webhook(db, receiver.url)
    assert deliver(db, now=T0, smtp_host="") == 1  # the webhook only
    item = load(db, email_id)
    assert (item.attempts, item.delivered_at, item.last_error) == (0, None, "")


def test_starttls_failure_is_recorded(db: Engine, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    with Session(db) as s:
        email = outbox.queue_email(s, to="ana@example.com", subject="Hi", body="Hi", event="x")
        email.next_attempt_at = T0
        s.add(email)
        s.commit()
        email_id = email.id
    assert email_id is not None
    # The test server offers no STARTTLS; with STARTTLS required nothing may go out in clear text.
    assert deliver(db, now=T0, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True) == 0
    item = load(db, email_id)
    assert item.attempts == 1
    assert "STARTTLS" in item.last_error
    assert mailbox.messages == []


def test_queue_email_validation(session: Session) -> None:
    with pytest.raises(ValidationError, match="is not an email address"):
        outbox.queue_email(session, to="nobody", subject="Hi", body="", event="x")
    with pytest.raises(ValidationError, match="needs a subject"):
        outbox.queue_email(session, to="a@example.com", subject=" \n ", body="", event="x")


def test_one_webhook_item_per_url(session: Session) -> None:
    settings = support_settings(webhook_urls=["https://a.example/h", "https://b.example/h"])
    items = outbox.queue_webhook(session, event="handoff.resolved", payload={"x": 1}, settings=settings)
    assert [i.target for i in items] == ["https://a.example/h", "https://b.example/h"]
    assert outbox.queue_webhook(session, event="e", payload={}, settings=support_settings(webhook_urls=[])) == []
    rows = session.exec(select(OutboxItem).where(col(OutboxItem.event) == "handoff.resolved")).all()
    assert len(rows) == 2
