"""In-process cache, locks and rate counters: thread-safe, for one process (embedded mode).

Expiry uses the monotonic clock so that a wall-clock jump cannot expire or extend leases.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from storage.kv.base import (
    Cache,
    Lease,
    LockManager,
    RateDecision,
    RateLimiter,
    check_positive,
    check_rate,
    check_ttl,
    lock_names,
)

Clock = Callable[[], float]
_PURGE_EVERY = 256


class MemoryCache(Cache):
    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[str, tuple[bytes, float | None]] = {}
        self._mutex = threading.Lock()
        self._writes = 0

    def get(self, key: str) -> bytes | None:
        with self._mutex:
            item = self._items.get(key)
            if item is None:
                return None
            value, deadline = item
            if deadline is not None and deadline <= self._clock():
                del self._items[key]
                return None
            return value

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        check_ttl(ttl_seconds)
        deadline = None if ttl_seconds is None else self._clock() + ttl_seconds
        with self._mutex:
            self._writes += 1
            if self._writes % _PURGE_EVERY == 0:
                self._purge_expired()
            self._items[key] = (bytes(value), deadline)

    def set_first(self, key: str, value: bytes, ttl_seconds: float | None = None) -> bytes | None:
        check_ttl(ttl_seconds)
        now = self._clock()
        with self._mutex:
            item = self._items.get(key)
            if item is not None and (item[1] is None or item[1] > now):
                return item[0]
            self._writes += 1
            if self._writes % _PURGE_EVERY == 0:
                self._purge_expired()
            self._items[key] = (bytes(value), None if ttl_seconds is None else now + ttl_seconds)
            return None

    def delete(self, key: str) -> None:
        with self._mutex:
            self._items.pop(key, None)

    def _purge_expired(self) -> None:
        # Every few hundred writes, so that keys nobody reads again do not pile up forever
        # while a write stays O(1) on average.
        now = self._clock()
        expired = [k for k, (_, d) in self._items.items() if d is not None and d <= now]
        for key in expired:
            del self._items[key]


class MemoryLockManager(LockManager):
    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._held: dict[str, tuple[str, float]] = {}  # name -> (token, monotonic deadline)
        self._changed = threading.Condition()

    def acquire_many(
        self, names: Iterable[str], *, lease_seconds: float, wait_seconds: float = 0
    ) -> Lease | None:
        ordered = lock_names(names)
        check_positive(lease_seconds=lease_seconds)
        give_up = self._clock() + max(wait_seconds, 0)
        token = secrets.token_hex(16)
        with self._changed:
            while True:
                now = self._clock()
                if all(self._free(name, now) for name in ordered):
                    for name in ordered:
                        self._held[name] = (token, now + lease_seconds)
                    return Lease(ordered, token, time.time() + lease_seconds)
                remaining = give_up - now
                if remaining <= 0:
                    return None
                # Wake on release, or when the earliest blocking lease runs out.
                soonest = min(
                    self._held[name][1] - now for name in ordered if not self._free(name, now)
                )
                self._changed.wait(timeout=max(min(remaining, soonest), 0.001))

    def release(self, lease: Lease) -> bool:
        with self._changed:
            now = self._clock()
            owned = [name for name in lease.names if self._owns(name, lease.token, now)]
            for name in owned:
                del self._held[name]
            if owned:
                self._changed.notify_all()
            return len(owned) == len(lease.names)

    def extend(self, lease: Lease, lease_seconds: float) -> bool:
        check_positive(lease_seconds=lease_seconds)
        with self._changed:
            now = self._clock()
            if not all(self._owns(name, lease.token, now) for name in lease.names):
                return False
            for name in lease.names:
                self._held[name] = (lease.token, now + lease_seconds)
            return True

    def _free(self, name: str, now: float) -> bool:
        held = self._held.get(name)
        return held is None or held[1] <= now

    def _owns(self, name: str, token: str, now: float) -> bool:
        held = self._held.get(name)
        return held is not None and held[0] == token and held[1] > now


class MemoryRateLimiter(RateLimiter):
    """A sliding log of allowed hits per key."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._mutex = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        check_rate(limit, window_seconds)
        with self._mutex:
            now = self._clock()
            log = self._hits.setdefault(key, deque())
            while log and log[0] <= now - window_seconds:
                log.popleft()
            if len(log) < limit:
                log.append(now)
                return RateDecision(True, limit - len(log), 0.0)
            # The oldest hits leave the window first; one slot frees when the
            # (len - limit + 1)-th oldest does (the log may exceed a lowered limit).
            frees_at = log[len(log) - limit] + window_seconds
            return RateDecision(False, 0, max(frees_at - now, 0.0))
