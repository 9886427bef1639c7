"""Redis cache, locks and rate counters, shared by every worker and server process.

Multi-key operations run as Lua scripts, so each is atomic on the server. All the keys of
one script must live on one node; we target a single Redis (or a primary with replicas),
not Redis Cluster.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import redis

from storage.kv.base import (
    Cache,
    KvError,
    KvUnavailableError,
    Lease,
    LockManager,
    RateDecision,
    RateLimiter,
    check_positive,
    check_rate,
    check_ttl,
    lock_names,
)

# How often a waiting acquire retries; short enough that a released lock is taken quickly.
_POLL_SECONDS = 0.02

_ACQUIRE = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
end
return 1
"""

_RELEASE = """
local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    released = released + 1
  end
end
return released
"""

_EXTEND = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) ~= ARGV[1] then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('PEXPIRE', key, ARGV[2])
end
return 1
"""

# Sliding log in a sorted set scored by the server's clock in microseconds (exact in a
# double until the year 2255), so clients with skewed clocks agree on the window.
_HIT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, limit - count - 1, 0}
end
local frees = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, 0, tonumber(frees[2]) + window - now}
"""


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisKv:
    """One Redis client and a key prefix, shared by the three services."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Translate redis-py errors into ours, with the fix in the message."""
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise KvUnavailableError(
                f"cannot reach Redis at {self.where()} ({exc}); start Redis, fix "
                "CODEMONKEY_REDIS_URL, or unset it to use in-process cache and locks"
            ) from exc
        except redis.RedisError as exc:
            raise KvError(f"Redis at {self.where()} refused the command: {exc}") from exc

    def where(self) -> str:
        # host:port only: the URL may carry a password.
        kwargs: dict[str, Any] = self.client.connection_pool.connection_kwargs
        if "path" in kwargs:
            return f"unix:{kwargs['path']}"
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"

    def ping(self) -> None:
        with self.errors():
            self.client.ping()


class RedisCache(Cache):
    def __init__(self, kv: RedisKv) -> None:
        self._kv = kv

    def get(self, key: str) -> bytes | None:
        with self._kv.errors():
            value = self._kv.client.get(self._kv.key("cache", key))
        # The client is built without decode_responses, so values come back as bytes.
        assert value is None or isinstance(value, bytes)
        return value

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        check_ttl(ttl_seconds)
        px = None if ttl_seconds is None else _millis(ttl_seconds)
        with self._kv.errors():
            self._kv.client.set(self._kv.key("cache", key), value, px=px)

    def set_first(self, key: str, value: bytes, ttl_seconds: float | None = None) -> bytes | None:
        check_ttl(ttl_seconds)
        px = None if ttl_seconds is None else _millis(ttl_seconds)
        with self._kv.errors():
            # SET NX GET (Redis 7+): one round trip that stores and reports the old value.
            old = self._kv.client.set(self._kv.key("cache", key), value, px=px, nx=True, get=True)
        assert old is None or isinstance(old, bytes)
        return old

    def delete(self, key: str) -> None:
        with self._kv.errors():
            self._kv.client.delete(self._kv.key("cache", key))


class RedisLockManager(LockManager):
    def __init__(self, kv: RedisKv) -> None:
        self._kv = kv
        self._acquire = kv.client.register_script(_ACQUIRE)
        self._release = kv.client.register_script(_RELEASE)
        self._extend = kv.client.register_script(_EXTEND)

    def acquire_many(
        self, names: Iterable[str], *, lease_seconds: float, wait_seconds: float = 0
    ) -> Lease | None:
        ordered = lock_names(names)
        check_positive(lease_seconds=lease_seconds)
        keys = self._keys(ordered)
        token = secrets.token_hex(16)
        give_up = time.monotonic() + max(wait_seconds, 0)
        while True:
            with self._kv.errors():
                taken = self._acquire(keys=keys, args=[token, _millis(lease_seconds)])
            if taken == 1:
                return Lease(ordered, token, time.time() + lease_seconds)
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(_POLL_SECONDS, remaining))

    def release(self, lease: Lease) -> bool:
        with self._kv.errors():
            released = self._release(keys=self._keys(lease.names), args=[lease.token])
        return int(released) == len(lease.names)

    def extend(self, lease: Lease, lease_seconds: float) -> bool:
        check_positive(lease_seconds=lease_seconds)
        with self._kv.errors():
            done = self._extend(
                keys=self._keys(lease.names), args=[lease.token, _millis(lease_seconds)]
            )
        return int(done) == 1

    def _keys(self, names: Iterable[str]) -> list[str]:
        return [self._kv.key("lock", name) for name in names]


class RedisRateLimiter(RateLimiter):
    def __init__(self, kv: RedisKv) -> None:
        self._kv = kv
        self._hit = kv.client.register_script(_HIT)

    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        check_rate(limit, window_seconds)
        window_us = max(1, math.ceil(window_seconds * 1_000_000))
        # A random member keeps two hits in the same microsecond distinct.
        member = secrets.token_hex(8)
        with self._kv.errors():
            allowed, remaining, wait_us = self._hit(
                keys=[self._kv.key("rate", key)], args=[limit, window_us, member]
            )
        return RateDecision(bool(allowed), int(remaining), max(int(wait_us), 0) / 1_000_000)
