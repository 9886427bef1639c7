"""Contracts for the small shared-state services: cache, locks and rate counters.

Each has an in-process implementation (one process, embedded mode) and a Redis one
(several workers on several machines). Both pass the same contract suite.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class KvError(Exception):
    """A cache, lock or rate-limit operation failed; the message says how to fix it."""


class KvUnavailableError(KvError):
    """The backing server cannot be reached."""


@dataclass(frozen=True)
class Lease:
    """Proof of holding one or more locks until `expires_at` (Unix time, seconds).

    `token` is unique per acquisition, so a lease that expired and was taken over by
    someone else can no longer release or extend the new holder's lock.
    """

    names: tuple[str, ...]
    token: str
    expires_at: float


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after_seconds: float


class Cache(ABC):
    """Bytes by key, with an optional time to live."""

    @abstractmethod
    def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def set_first(self, key: str, value: bytes, ttl_seconds: float | None = None) -> bytes | None:
        """Store `value` unless the key holds one; None when stored, else the value kept.

        The backends override this with one atomic step; this fallback is not atomic.
        """
        existing = self.get(key)
        if existing is None:
            self.set(key, value, ttl_seconds)
        return existing

    def get_json(self, key: str) -> Any:
        """The decoded JSON value, or None when the key is missing or expired."""
        raw = self.get(key)
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl_seconds: float | None = None) -> None:
        self.set(key, json.dumps(value, separators=(",", ":")).encode(), ttl_seconds)


class LockManager(ABC):
    """Named, leased, exclusive locks."""

    def acquire(self, name: str, *, lease_seconds: float, wait_seconds: float = 0) -> Lease | None:
        """Take one lock, waiting up to `wait_seconds`; None when it stayed taken."""
        return self.acquire_many([name], lease_seconds=lease_seconds, wait_seconds=wait_seconds)

    @abstractmethod
    def acquire_many(
        self, names: Iterable[str], *, lease_seconds: float, wait_seconds: float = 0
    ) -> Lease | None:
        """Take all the named locks or none of them, as one lease."""

    @abstractmethod
    def release(self, lease: Lease) -> bool:
        """Release what the lease still holds; False if any lock had expired or changed hands."""

    @abstractmethod
    def extend(self, lease: Lease, lease_seconds: float) -> bool:
        """Reset every lock of the lease to expire `lease_seconds` from now.

        All or nothing: False (and no change) if any of them is no longer held by the lease.
        The returned lease's `expires_at` is not updated; the caller knows the new deadline.
        """


class RateLimiter(ABC):
    """Sliding-window rate limits: at most `limit` allowed hits in any `window_seconds`."""

    @abstractmethod
    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        """Count one hit if it is allowed. Refused hits are not counted, so a client that
        keeps retrying is let through as soon as the window has room again."""


def lock_names(names: Iterable[str]) -> tuple[str, ...]:
    """The distinct names in sorted order: every caller takes locks in the same order."""
    ordered = tuple(sorted(set(names)))
    if not ordered:
        raise ValueError("acquire_many needs at least one lock name")
    if any(not name for name in ordered):
        raise ValueError("lock names must be non-empty strings")
    return ordered


def check_positive(**values: float) -> None:
    for label, value in values.items():
        if value <= 0:
            raise ValueError(f"{label} must be greater than 0, got {value!r}")


def check_rate(limit: int, window_seconds: float) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit!r}")
    check_positive(window_seconds=window_seconds)


def check_ttl(ttl_seconds: float | None) -> None:
    if ttl_seconds is not None:
        check_positive(ttl_seconds=ttl_seconds)
