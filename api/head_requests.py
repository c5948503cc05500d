"""HEAD answered like GET without the body (RFC 9110: every GET resource answers HEAD).

FastAPI's routes answer only the methods they declare, so uptime monitors and link checkers, which ask
with HEAD, got 405 from every page. The request goes to the GET route; its headers (Content-Length
included) go out, its body does not. A streaming GET (the event streams) is told the client left once
the headers are out, so it ends instead of streaming to nobody.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Pure ASGI middleware: HEAD runs the GET route and drops the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def send_headers_only(message: Message) -> None:
            nonlocal done
            if done:
                return
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body":
                done = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def receive_until_done() -> Message:
            if done:
                return {"type": "http.disconnect"}
            return await receive()

        await self.app({**scope, "method": "GET"}, receive_until_done, send_headers_only)
