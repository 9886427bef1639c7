"""The embedded default rate limiter: an exact sliding window kept in this process.

It is correct for a single server process; with several processes or machines use the
Redis-backed limiter from `storage.kv`, which implements the same `RateLimiter` protocol.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from bot.api.errors import RateLimited
from bot.api.types import Principal, RateDecision, RateLimiter, RateOutcome

# Limits are configured per minute (`api_rate_limit_per_minute`).
WINDOW_SECONDS = 60.0


def enforce_rate_limit(limiter: RateLimiter, principal: Principal, per_minute: int) -> RateOutcome:
    """Count one request for the caller's key; raises `RateLimited` (429) when over the limit.

    Shared by `/api/v1` and the OpenAI-compatible `/v1` routes, so a key has one budget.
    """
    decision = limiter.hit(
        f"api:key:{principal.key_id}", limit=per_minute, window_seconds=WINDOW_SECONDS
    )
    if not decision.allowed:
        raise RateLimited(decision.retry_after_seconds)
    return decision


class InProcessRateLimiter:
    """Allows at most `limit` hits per key in any window of `window_seconds`.

    Each key keeps the timestamps of its accepted hits (at most `limit` of them), so memory
    is bounded by the number of active keys times the limit.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                # The oldest hit inside the window is the next to expire.
                retry_after = hits[0] + window_seconds - now
                return RateDecision(allowed=False, remaining=0, retry_after_seconds=retry_after)
            hits.append(now)
            return RateDecision(allowed=True, remaining=limit - len(hits), retry_after_seconds=0.0)
