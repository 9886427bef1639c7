"""The embedded default rate limiter: an exact sliding window kept in this process.

It is correct for a single server process; with several processes or machines use the
Redis-backed limiter from `storage.kv`, which implements the same `RateLimiter` protocol.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from bot.api.types import RateDecision


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
