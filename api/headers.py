"""Response headers for every request: the security headers and a CSP, and CORS for the public API only.

Pages run no inline script or style: scripts and stylesheets come from ``/static`` and
``/widget/v1/``, so ``script-src 'self'`` holds everywhere, ``/docs`` included (Swagger UI is vendored
in ``static/vendor/swagger-ui``, nothing loads from a CDN). The one inline style allowed is the
``text-align`` of Markdown table cells (``helpcenter.markdown`` lets nh3 keep exactly that), by hash.

Nothing faqdesk serves is meant to be framed: the widget runs in the host page's own DOM (a script
and a shadow root, no iframe), so every response refuses framing.
"""

from __future__ import annotations

import base64
import hashlib

from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _style_hash(declaration: str) -> str:
    digest = base64.b64encode(hashlib.sha256(declaration.encode()).digest()).decode()
    return f"'sha256-{digest}'"


# The style attributes Markdown tables carry (markdown-it writes them, nh3 keeps only text-align).
TABLE_ALIGN_HASHES = " ".join(_style_hash(f"text-align:{side}") for side in ("left", "center", "right"))

# HTML pages: help center, demo page, back office, /docs.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; "
    f"style-src 'self' 'unsafe-hashes' {TABLE_ALIGN_HASHES}; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Everything else (JSON, scripts, CSS, XML): nothing to load, nothing to frame.
RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SecurityHeaders:
    """ASGI middleware: adds the security headers to every response that does not set them itself.

    A route that needs other values (the back office's stricter referrer policy, the sandbox CSP of
    uploaded images) sets them and keeps them. Plain ASGI rather than ``BaseHTTPMiddleware``, so
    server-sent events stream through untouched.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.extra = {**COMMON_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                csp = PAGE_CSP if "html" in headers.get("content-type", "") else RESOURCE_CSP
                for name, value in {"Content-Security-Policy": csp, **self.extra}.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_public_api(path: str) -> bool:
    """Whether a path belongs to the API that other sites' pages call: ``/api/v1/`` but not the admin API."""
    return path.startswith("/api/v1/") and not (path == "/api/v1/admin" or path.startswith("/api/v1/admin/"))


def _route_path(scope: Scope) -> str:
    """The path the router matches (without the root path a proxy mounts the app under)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class PublicCORS:
    """ASGI middleware: CORS for the configured origins on the public API only.

    The widget and the help-center API are called from the customers' sites; the admin API, the back
    office and everything else never answer a cross-origin request, whatever ``FAQDESK_CORS_ORIGINS`` says.
    """

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        # The widget sends a bearer token, never cookies, so credentials stay off.
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],  # DELETE: a visitor deletes their conversation
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_public_api(_route_path(scope)):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
