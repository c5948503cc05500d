"""Versions over HTTP: a row's version is its ``ETag``, and ``If-Match`` names the version a client edits.

The ETag is the version of what an editor can change (articles: title, body, slug, tags, intents,
category, position; status and view counts do not change it). A stale ``If-Match`` is answered like a
stale ``version`` in the body: 409 with ``current_version`` (``EditConflict``), not 412, so API clients
handle one conflict answer.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, Response

from api.params import MAX_ID
from core.errors import ValidationError

_TAG = re.compile(r'^"?(\d{1,10})"?$')  # the ETag as sent, or its bare number (a common client shortcut)

IfMatch = Annotated[
    str | None,
    Header(
        max_length=100,
        pattern=r'^\s*(\*|"\d{1,10}"|\d{1,10})\s*$',
        description='The ETag from GET (e.g. `"3"`): save only if this is still the saved version; '
        "`*` saves whatever is saved",
    ),
]

ETAG_HEADER = {
    "ETag": {"description": 'The version, e.g. `"3"`: send it back in `If-Match`', "schema": {"type": "string"}}
}
"""The ``headers`` of a documented response that carries the ETag."""


def etag(response: Response, version: int) -> None:
    """Put the version on the response as its ETag."""
    response.headers["ETag"] = f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client edits, from ``If-Match`` or the body's ``version`` (None: not said)."""
    from_header = None
    if if_match is not None and if_match.strip() != "*":
        match = _TAG.match(if_match.strip())
        if match is None:
            raise ValidationError('If-Match: send the ETag from GET, e.g. "3", or *')
        # A number past any saved version (the schema allows ten digits) is simply not the saved one: a 409.
        from_header = min(int(match.group(1)), MAX_ID + 1)
    if from_header is not None and body_version is not None:
        # Two different versions cannot both be the one saved now; the older is checked, so the save is
        # answered like any stale one (409 with the current version), not refused as malformed.
        return min(from_header, body_version)
    return from_header if from_header is not None else body_version
