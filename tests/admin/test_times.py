"""Every back-office moment is written as <time datetime="ISO-UTC">… UTC</time> for api/static/admin.js to
show in the reader's zone (tested in Chromium: tests/browser/test_agent_day_browser.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient

from api.templating import templates
from core.accounts import Role

TIME = re.compile(
    r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00)"( data-seconds)?>([^<]+) UTC</time>'
)


def test_the_moment_filter_writes_utc_whatever_the_zone_it_is_given() -> None:
    render = templates.env.from_string("{{ at|moment }}|{{ at|moment(seconds=True) }}|{{ none|moment }}").render
    berlin = datetime(2026, 3, 1, 10, 30, 15, tzinfo=timezone(timedelta(hours=1)))
    assert render(at=berlin, none=None) == (
        '<time datetime="2026-03-01T09:30:15+00:00">2026-03-01 09:30 UTC</time>|'
        '<time datetime="2026-03-01T09:30:15+00:00" data-seconds>2026-03-01 09:30:15 UTC</time>|'
    )
    naive = datetime(2026, 3, 1, 9, 30)  # SQLite hands back naive UTC in places
    assert 'datetime="2026-03-01T09:30:00+00:00"' in render(at=naive, none=None)


def test_back_office_lists_write_their_times_as_time_elements(as_role: Any) -> None:
    admin: TestClient = as_role(Role.admin)
    page = admin.get("/admin/users").text
    found = TIME.findall(page)
    assert found, "no <time> on the users page"
    for iso, _, shown in found:
        assert datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M") == shown
