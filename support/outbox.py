"""The outbox: emails and signed webhooks, queued inside the request's transaction and sent by the worker.

Queuing writes a row in the same transaction as the change it reports, so an event is never sent for a
change that rolled back, nor lost for one that committed. ``deliver_due`` (run by ``faqdesk worker``
every few seconds) sends what is due and retries failures with exponential backoff: 30 s × 2^(n−1)
after the n-th failed attempt, capped at an hour, plus up to 10 % jitter; after ``MAX_ATTEMPTS``
attempts the item is given up (``failed_at``). ``last_error`` keeps the latest reason.

**Delivery is at least once.** Before sending, a worker claims an item in its own commit by moving its
``next_attempt_at`` forward (a conditional UPDATE only one worker can win), so two workers never send
the same item in normal operation. A worker that dies after sending but before recording success
leaves the item to be retried once its claim expires, so a receiver may see an item twice: the
``X-Faqdesk-Delivery`` header (the item id, stable across retries) lets it drop duplicates.

**Webhooks** are ``POST`` requests with a JSON body::

    {"event": "handoff.created", "delivery": 42, "created_at": "2024-06-03T09:00:00+00:00", "data": {...}}

and the headers ``X-Faqdesk-Event``, ``X-Faqdesk-Delivery``, ``X-Faqdesk-Timestamp`` (Unix seconds at
sending) and ``X-Faqdesk-Signature: sha256=<hex>``, the HMAC-SHA256 with ``FAQDESK_WEBHOOK_SECRET`` of
``f"{timestamp}.{raw body}"``. A receiver verifies it like this (see also ``verify_signature``)::

    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest("sha256=" + expected, signature_header)
    fresh = abs(time.time() - int(timestamp)) < 300   # refuse replays of old requests

Sign over the raw bytes received, before any JSON parsing. Any 2xx answer counts as delivered.

**Emails** go through ``FAQDESK_SMTP_HOST`` (STARTTLS when ``FAQDESK_SMTP_STARTTLS``, implicit TLS on
port 465, login when a username is set), from ``FAQDESK_SMTP_FROM``. Without an SMTP host they stay
queued and are sent once one is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import smtplib
import ssl
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import httpx
from sqlmodel import Session, col, delete, select, update

from core.accounts import normalize_email
from core.errors import ValidationError
from core.settings import Settings
from support.models import OutboxItem, OutboxKind, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# A claimed item is hidden from other workers this long: far more than one send may take (timeouts
# below), so a live worker always records the result first; a dead worker's item comes back after it.
CLAIM = timedelta(minutes=5)
BATCH = 50
SEND_TIMEOUT = 15.0  # seconds, per SMTP connection or HTTP request
MAX_SUBJECT = 200
MAX_BODY = 100_000


def queue_email(
    session: Session, *, to: str, subject: str, body: str, event: str, conversation_id: str | None = None
) -> OutboxItem:
    """Queue a plain-text email; it is sent by the worker (``conversation_id`` lets a deletion find it)."""
    to = normalize_email(to)
    # Header injection: a subject never carries a line break into the message headers.
    subject = " ".join(subject.split())[:MAX_SUBJECT]
    if not subject:
        raise ValidationError("an email needs a subject")
    if len(body) > MAX_BODY:
        raise ValidationError(f"an email body may have at most {MAX_BODY} characters")
    payload = {"subject": subject, "body": body}
    if conversation_id is not None:
        payload["conversation_id"] = conversation_id
    item = OutboxItem(kind=OutboxKind.email, target=to, event=event, payload=payload)
    session.add(item)
    session.flush()
    return item


def queue_webhook(session: Session, *, event: str, payload: dict[str, Any], settings: Settings) -> list[OutboxItem]:
    """Queue one webhook delivery of ``event`` per configured URL (none when no URL is set)."""
    items = [
        OutboxItem(kind=OutboxKind.webhook, target=url, event=event, payload=payload) for url in settings.webhook_urls
    ]
    session.add_all(items)
    session.flush()
    return items


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (with a little jitter)."""
    delay = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    # Jitter spreads retries of many items that failed together (a receiver that was down).
    return min(delay * (1 + random.uniform(0, 0.1)), MAX_DELAY)


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Faqdesk-Signature`` value for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def verify_signature(
    *, secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (replays are refused)."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature)


def webhook_body(item: OutboxItem) -> bytes:
    """The exact bytes POSTed (and signed) for a webhook item."""
    envelope = {
        "event": item.event,
        "delivery": item.id,
        "created_at": item.created_at.isoformat(),
        "data": item.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def deliver_due(session: Session, *, settings: Settings, now: datetime | None = None) -> int:
    """Send the items that are due (claiming each first); returns how many were delivered.

    Commits: each claim and each result in its own transaction, so other workers see them at once.
    """
    now = now or utcnow()
    kinds = [OutboxKind.webhook] + ([OutboxKind.email] if settings.smtp_host else [])
    due = _due_ids(session, kinds=kinds, now=now)
    session.commit()  # end the read transaction: claims below must each stand on their own
    if not due:  # the usual round: no HTTP client (its TLS context took ~1% of a busy server's CPU)
        return 0
    delivered = 0
    with httpx.Client(timeout=SEND_TIMEOUT, follow_redirects=False) as client:
        for item_id in due:
            item = _claim(session, item_id=item_id, now=now)
            if item is None:
                continue  # another worker took it
            try:
                if item.kind is OutboxKind.email:
                    _send_email(item, settings=settings)
                else:
                    _send_webhook(item, client=client, settings=settings)
            except Exception as exc:  # any failure is recorded on the item and retried
                _failed(session, item=item, error=_describe(exc), now=now)
            else:
                _delivered(session, item=item, now=now)
                delivered += 1
    return delivered


def _due_ids(session: Session, *, kinds: Sequence[OutboxKind], now: datetime) -> list[int]:
    rows = session.exec(
        select(OutboxItem.id)
        .where(
            col(OutboxItem.kind).in_(kinds),
            col(OutboxItem.delivered_at).is_(None),
            col(OutboxItem.failed_at).is_(None),
            col(OutboxItem.next_attempt_at) <= now,
        )
        .order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id))
        .limit(BATCH)
    ).all()
    return [row for row in rows if row is not None]


def _claim(session: Session, *, item_id: int, now: datetime) -> OutboxItem | None:
    """Take the item for this worker; only one concurrent claimer's UPDATE matches the row."""
    # The condition re-checks "still due": once a claim moves next_attempt_at forward, a second
    # UPDATE (SQLite serialises writers; PostgreSQL re-evaluates the row after the first commits)
    # matches nothing.
    result = session.exec(
        update(OutboxItem)
        .where(
            col(OutboxItem.id) == item_id,
            col(OutboxItem.delivered_at).is_(None),
            col(OutboxItem.failed_at).is_(None),
            col(OutboxItem.next_attempt_at) <= now,
        )
        .values(next_attempt_at=now + CLAIM)
    )
    item = None
    if result.rowcount == 1:
        item = session.get(OutboxItem, item_id, populate_existing=True)
        if item is not None:
            # A detached copy: reading it while sending opens no transaction, so the result is
            # recorded with a write-only transaction (on SQLite a read-then-write transaction fails
            # at once when another worker wrote in between, instead of waiting its turn).
            session.expunge(item)
    session.commit()
    return item


def _record(session: Session, *, item: OutboxItem, **values: Any) -> None:
    session.exec(update(OutboxItem).where(col(OutboxItem.id) == item.id).values(**values))
    session.commit()
    for name, value in values.items():
        setattr(item, name, value)


def _delivered(session: Session, *, item: OutboxItem, now: datetime) -> None:
    _record(session, item=item, attempts=item.attempts + 1, delivered_at=now, last_error="")


def _failed(session: Session, *, item: OutboxItem, error: str, now: datetime) -> None:
    attempts = item.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        # Its address and the error (which may quote the address) stay in the row, out of the logs.
        log.warning("outbox item %s (%s %s) given up after %d attempts", item.id, item.kind, item.event, attempts)
        _record(session, item=item, attempts=attempts, last_error=error[:1000], failed_at=now)
    else:
        _record(session, item=item, attempts=attempts, last_error=error[:1000], next_attempt_at=now + backoff(attempts))


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


class DeliveryError(Exception):
    """The receiver answered, but not with success."""


def _send_webhook(item: OutboxItem, *, client: httpx.Client, settings: Settings) -> None:
    body = webhook_body(item)
    timestamp = str(int(time.time()))  # the real clock: receivers compare it with theirs
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "faqdesk-webhooks/1",
        "X-Faqdesk-Event": item.event,
        "X-Faqdesk-Delivery": str(item.id),
        "X-Faqdesk-Timestamp": timestamp,
        "X-Faqdesk-Signature": sign(secret=settings.webhook_secret, timestamp=timestamp, body=body),
    }
    response = client.post(item.target, content=body, headers=headers)
    if not response.is_success:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")


def _send_email(item: OutboxItem, *, settings: Settings) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = item.target
    message["Subject"] = str(item.payload.get("subject", ""))
    message["Date"] = format_datetime(utcnow())
    # Stable across retries, so a receiving server that got it twice can tell.
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<faqdesk.{item.id}.{int(item.created_at.timestamp())}@{domain}>"
    message.set_content(str(item.payload.get("body", "")))
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_port == 465:  # implicit TLS ("SMTPS")
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=SEND_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SEND_TIMEOUT)
    with smtp:
        if settings.smtp_port != 465 and settings.smtp_starttls:
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


def forget_conversation(session: Session, *, conversation_id: str) -> int:
    """Delete the outbox items about a conversation (their payload may hold its transcript); returns how many.

    Delivered and given-up items go too: a request to be forgotten covers the copies kept after sending.
    """
    # JSON path access renders as json_extract on SQLite and ->> on PostgreSQL.
    about = col(OutboxItem.payload)["conversation_id"].as_string() == conversation_id
    ids = [item_id for item_id in session.exec(select(OutboxItem.id).where(about)).all() if item_id is not None]
    if ids:
        session.exec(delete(OutboxItem).where(col(OutboxItem.id).in_(ids)))
    return len(ids)
