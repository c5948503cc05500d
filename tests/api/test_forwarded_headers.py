"""Whose address the rate limits count: X-Forwarded-For is believed only from FAQDESK_FORWARDED_ALLOW_IPS.

uvicorn runs here as `faqdesk serve` runs it (same options), on a free port, and the sign-in form is
posted with a different X-Forwarded-For each time, as a client escaping the per-address limit would.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from faqdesk.cli import uvicorn_options
from tests.admin.conftest import make_settings
from tests.live import serving as serving_app

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # A day's window, not a minute's: the sliding-window counter weighs the previous window's hits by how
    # much of it is left, so attempts that straddle a minute's end could pass (a CI run did, at 01:59).
    return make_settings(tmp_path_factory.mktemp("forwarded"), login_rate_limit="3/day")


def serving(settings: Settings) -> AbstractContextManager[str]:
    """The app in uvicorn with the options `faqdesk serve` gives it; its base URL."""
    return serving_app(create_app(settings), **uvicorn_options(settings))


def failed_sign_ins(base: str, attempts: int) -> list[int]:
    """Post wrong passwords for one account, each with another X-Forwarded-For; the statuses."""
    with httpx.Client(base_url=base) as client:
        form = client.get("/admin/login")
        match = CSRF_INPUT.search(form.text)
        assert match, form.text
        statuses = []
        for attempt in range(attempts):
            response = client.post(
                "/admin/login",
                data={"email": "admin@example.com", "password": "wrong", "csrf_token": match.group(1)},
                headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
            )
            statuses.append(response.status_code)
    return statuses


def test_by_default_a_client_cannot_choose_its_address(base_settings: Settings) -> None:
    assert uvicorn_options(base_settings) == {"proxy_headers": False}
    with serving(base_settings) as base:
        statuses = failed_sign_ins(base, 5)
    assert statuses == [401, 401, 401, 429, 429]  # the socket's address is counted, whatever the header says


def test_a_named_proxy_is_believed(base_settings: Settings) -> None:
    behind_proxy = base_settings.model_copy(update={"forwarded_allow_ips": ["127.0.0.1"]})
    with serving(behind_proxy) as base:
        statuses = failed_sign_ins(base, 5)
    assert statuses == [401] * 5  # each forwarded address has its own count


def test_serve_passes_the_options_to_uvicorn(tmp_path: Path) -> None:
    proxies = ["10.0.0.5", "10.1.0.0/16"]
    settings = Settings(data_dir=tmp_path, forwarded_allow_ips=proxies, _env_file=None)  # type: ignore[call-arg]
    assert uvicorn_options(settings) == {"proxy_headers": True, "forwarded_allow_ips": proxies}
