"""Rate limits with `limits`: in memory for one process, Redis when several share the counters."""

from __future__ import annotations

import time

from fastapi import Request
from limits import RateLimitItem, parse, storage, strategies

from core.errors import FaqdeskError


def client_address(request: Request) -> str:
    """The caller's address, the key of per-address limits.

    The socket's peer, unless FAQDESK_FORWARDED_ALLOW_IPS names the proxy it came through: then
    uvicorn has put the X-Forwarded-For address here (``faqdesk.cli.uvicorn_options``).
    """
    return request.client.host if request.client else "unknown"


def counts_as_view(limiter: RateLimiter, request: Request, article_id: int, limit: str) -> bool:
    """Whether this read of an article counts as a view (a person's, not a loop's): ``limit`` per address
    and article (``FAQDESK_VIEW_COUNT_LIMIT``)."""
    return limiter.allow(limit, f"view:{client_address(request)}:{article_id}")


def count_vote(limiter: RateLimiter, request: Request, limit: str) -> None:
    """One help-center vote from the caller's address: the article page's form and the API share the count."""
    limiter.check(limit, f"vote:{client_address(request)}", what="votes")


def count_search(limiter: RateLimiter, request: Request, limit: str) -> None:
    """One help-center search from the caller's address: the search page and the API share the count."""
    limiter.check(limit, f"search:{client_address(request)}", what="searches")


class RateLimited(FaqdeskError):
    """Too many requests in the window."""

    status_code = 429
    error = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RateLimiter:
    """A sliding-window-counter limiter over one storage.

    Two counters per key and window instead of a moving window's timestamp per hit: memory and the
    in-memory storage's expiry sweep (every 10 ms, under the GIL) stay small however high a limit is
    set, at the price of weighting the previous window's hits by how much of it has passed.
    """

    def __init__(self, storage_uri: str) -> None:
        self._storage = storage.storage_from_string(storage_uri)
        self._strategy = strategies.SlidingWindowCounterRateLimiter(self._storage)

    def check(self, limit: str | RateLimitItem, *keys: str, what: str = "requests") -> None:
        """Count one hit against each key; raise RateLimited if any key is over the limit."""
        item = parse(limit) if isinstance(limit, str) else limit
        for key in keys:
            if not self._strategy.hit(item, key):
                reset = self._strategy.get_window_stats(item, key).reset_time
                retry = max(1, int(reset - time.time()) + 1)
                raise RateLimited(f"Too many {what}. Try again in {retry} seconds.", retry)

    def allow(self, limit: str | RateLimitItem, key: str) -> bool:
        """Count one hit against the key; whether it was within the limit (for what is skipped, not refused)."""
        return bool(self._strategy.hit(parse(limit) if isinstance(limit, str) else limit, key))

    def close(self) -> None:
        """Release the storage's connections (Redis keeps a pool)."""
        client = getattr(self._storage, "storage", None)
        close = getattr(client, "close", None)
        if callable(close):
            close()

    def clear(self, limit: str | RateLimitItem, *keys: str) -> None:
        """Forget the hits on these keys (a successful login clears its failures)."""
        item = parse(limit) if isinstance(limit, str) else limit
        for key in keys:
            self._strategy.clear(item, key)
