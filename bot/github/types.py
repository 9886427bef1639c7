"""Small contracts the GitHub client depends on, so callers can pass their own backends."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class TokenCache(Protocol):
    """The subset of the key-value cache used to keep installation tokens between calls.

    Matches `storage.kv` caches (`get(key) -> bytes | None`, `set(key, value, ttl_seconds)`),
    so the Redis-backed cache can be passed straight in.
    """

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    def delete(self, key: str) -> None: ...


class TokenCipher(Protocol):
    """Encrypts tokens before they reach a shared cache (secrets are encrypted at rest)."""

    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, data: bytes) -> bytes: ...


class MemoryTokenCache:
    """An in-process `TokenCache` with expiry, for the embedded mode and tests."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, expires = item
            if time.monotonic() >= expires:
                del self._items[key]
                return None
            return value

    def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        with self._lock:
            self._items[key] = (value, time.monotonic() + ttl_seconds)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __repr__(self) -> str:
        return f"MemoryTokenCache(entries={len(self._items)})"
