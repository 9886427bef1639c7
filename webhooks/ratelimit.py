"""An in-process sliding-window rate limiter (embedded mode, tests, the Action)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from webhooks.types import RateDecision


class InMemoryRateLimiter:
    """Thread-safe; state lives in this object only, so each process counts on its own."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                retry = hits[0] + window_seconds - now
                return RateDecision(allowed=False, remaining=0, retry_after_seconds=max(retry, 0))
            hits.append(now)
            return RateDecision(allowed=True, remaining=limit - len(hits), retry_after_seconds=0)
