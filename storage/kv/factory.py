"""Build the cache, locks and rate counters for the configured backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.checks import CheckResult
from storage.extras import require
from storage.kv.base import Cache, KvError, LockManager, RateLimiter
from storage.kv.memory import MemoryCache, MemoryLockManager, MemoryRateLimiter

if TYPE_CHECKING:
    # The Redis client comes with the `server` extra; in-process mode runs without it.
    from storage.kv.redis import RedisKv

# Fail fast when Redis is down instead of hanging a request or a worker.
_CONNECT_TIMEOUT_SECONDS = 5.0
_SOCKET_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class KvBackends:
    cache: Cache
    locks: LockManager
    rates: RateLimiter
    redis: RedisKv | None = None

    @property
    def backend(self) -> str:
        return "in-process" if self.redis is None else f"redis {self.redis.where()}"

    def ping(self) -> None:
        """Raise KvUnavailableError (with the fix) when the backend is unreachable."""
        if self.redis is not None:
            self.redis.ping()

    def close(self) -> None:
        if self.redis is not None:
            self.redis.client.close()


def build_kv(redis_url: str | None, *, prefix: str = "codemonkey:") -> KvBackends:
    """In-process services when `redis_url` is None, else Redis ones; does no I/O."""
    if redis_url is None:
        return KvBackends(MemoryCache(), MemoryLockManager(), MemoryRateLimiter())
    redis = require("redis", "CODEMONKEY_REDIS_URL (cache, locks and rates on Redis)")
    from storage.kv.redis import RedisCache, RedisKv, RedisLockManager, RedisRateLimiter

    try:
        client = redis.Redis.from_url(
            redis_url,
            socket_connect_timeout=_CONNECT_TIMEOUT_SECONDS,
            socket_timeout=_SOCKET_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
    except ValueError as exc:
        raise KvError(
            f"CODEMONKEY_REDIS_URL is not a valid Redis URL ({exc}); use the form "
            "redis://[:password@]host:6379/0, or unset it for in-process mode"
        ) from None
    kv = RedisKv(client, prefix)
    return KvBackends(RedisCache(kv), RedisLockManager(kv), RedisRateLimiter(kv), kv)


def check_kv(kv: KvBackends) -> CheckResult:
    """Readiness of the cache/locks/rate backend: ok, or the error with its fix."""
    try:
        kv.ping()
    except KvError as exc:
        return CheckResult("kv", False, str(exc))
    return CheckResult("kv", True, kv.backend)
