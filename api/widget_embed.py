"""The embed snippet a site owner pastes into their pages, as the back office shows it (/admin/widget).

The first tag defines a queueing stub, so calls such as ``faqdesk("open")`` made before widget.js has
loaded are kept in ``faqdesk.q`` and run once it has; the second loads the widget without holding up
the page. A host page whose CSP forbids inline scripts can leave the stub out (or host it as a file):
the script tag alone shows the widget, and the API is there once it has loaded.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from core.i18n import N_

WIDGET_PATH = "/widget/v1/widget.js"
STUB = "window.faqdesk = window.faqdesk || function () { (faqdesk.q = faqdesk.q || []).push(arguments); };"


def embed_snippet(base_url: str) -> str:
    """The HTML to paste before ``</body>``; ``base_url`` is where visitors reach this server."""
    # Escaped for the attribute: without FAQDESK_PUBLIC_URL the address is the admin's request's Host.
    src = html.escape(base_url.rstrip("/") + WIDGET_PATH, quote=True)
    return f'<script>\n  {STUB}\n</script>\n<script src="{src}" async></script>'


@dataclass(frozen=True)
class ApiCall:
    """One call of the widget's JavaScript API, for the back office's list (``what`` goes through the catalogue)."""

    code: str
    what: str


API_CALLS = (
    ApiCall('faqdesk("open");', N_("Opens the chat panel.")),
    ApiCall('faqdesk("close");', N_("Closes the chat panel.")),
    ApiCall('faqdesk("toggle");', N_("Opens the chat panel if it is closed, else closes it.")),
    ApiCall('faqdesk("setLocale", "de");', N_("Switches the widget's language (one of the configured locales).")),
    ApiCall(
        'faqdesk("identify", { email: "anna@example.com", name: "Anna" });',
        N_("Tells the widget who the visitor is, so the handoff form is filled in for them."),
    ),
    ApiCall('faqdesk("onReady", function () { /* … */ });', N_("Runs your function once the widget is on the page.")),
)
