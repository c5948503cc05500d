"""One limit on request bodies, checked before anything parses them.

Without it a 10 MB JSON document was parsed in full before validation answered 422. Uploads (images,
YAML imports) get their own, larger allowance; the back office's other bodies (an article can be long) fit
in ``max_body_bytes``; what anyone may send without signing in (the widget's API, article feedback, the
sign-in form) fits in ``PUBLIC_MAX_BYTES``. Parsing and validating a body run on the event loop: a 4 MB
JSON object of 380,000 unknown keys held every other request up for about 5 s while its 380,000
validation errors were listed; a body of 32 KiB holds a few thousand at most. A body that
declares a larger ``Content-Length`` is refused when the app first reads it, before a byte of it is
taken; one sent in chunks is cut off once it passes the limit. Either way the read raises a 413 that the
app's error handlers answer: JSON for the API, the error page for a back-office form (an editor's
too-large upload showed raw JSON when the middleware answered by itself).
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_OVERHEAD = 1024 * 1024  # form fields and part headers around an uploaded file
# The widget's largest body, a handoff (an email, a name of 200 characters and a message of 4,000), takes
# at most 18 KiB as browsers send JSON (UTF-8); a feedback form's comment of 2,000 characters, percent-
# encoded, at most 24 KiB.
PUBLIC_MAX_BYTES = 32 * 1024
SIGNED_IN_PREFIXES = ("/admin/", "/api/v1/admin/")  # every route there needs a session or a token
PUBLIC_UNDER_THEM = ("/admin/login",)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a chunked body passes the limit: an HTTP error, so that whatever is
    reading the body (FastAPI's JSON or form parsing) lets it through to the error handler."""

    def __init__(self, limit: int) -> None:
        at_most = f"{limit / 1024 / 1024:.1f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        super().__init__(413, f"The request is too large: at most {at_most} can be sent at once.")


class BodyLimit:
    """Pure ASGI middleware (no buffering): counts the bytes as the app reads them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_bytes
        if not _signed_in(scope.get("path", "")):
            limit = min(limit, PUBLIC_MAX_BYTES)
        declared = headers.get(b"content-length", b"")
        refused = declared.isdigit() and int(declared) > limit
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            if refused:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


def _signed_in(path: str) -> bool:
    """Whether the route needs a signed-in user or an API token (so a large body comes from a known one)."""
    return path.startswith(SIGNED_IN_PREFIXES) and not path.startswith(PUBLIC_UNDER_THEM)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"error": "too_large", "detail": BodyTooLarge(limit).detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
