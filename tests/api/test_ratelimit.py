"""The rate limiter over memory and over Redis (shared by several app processes)."""

from __future__ import annotations

import os
import uuid

import pytest

from api.ratelimit import RateLimited, RateLimiter

REDIS_URL = os.environ.get("FAQDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_available() -> bool:
    try:
        import redis

        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except Exception:
        return False


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


def test_limit_applies_per_key_and_tells_when_to_retry(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri)
    key, other = f"test:{uuid.uuid4()}", f"test:{uuid.uuid4()}"
    for _ in range(3):
        limiter.check("3/minute", key)
    limiter.close()
    with pytest.raises(RateLimited) as caught:
        limiter.check("3/minute", key, what="tries")
    assert caught.value.status_code == 429 and 1 <= caught.value.retry_after <= 61
    assert "Too many tries" in caught.value.detail
    limiter.check("3/minute", other)  # other keys are unaffected
    limiter.clear("3/minute", key)
    limiter.check("3/minute", key)
    limiter.close()


def test_two_limiters_on_redis_share_counts() -> None:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    key = f"test:{uuid.uuid4()}"
    first, second = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)  # as in two app processes
    first.check("2/minute", key)
    second.check("2/minute", key)
    with pytest.raises(RateLimited):
        first.check("2/minute", key)
    first.close()
    second.close()
