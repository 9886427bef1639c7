"""Throughput of the cache, locks and rate limiter, in-process and on the local Redis.

Run: python -m tests.bench.kv [redis_url]
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable

from storage.kv import KvBackends, build_kv
from tests.conftest import REDIS_URL

OPS = 2000


def _rate(label: str, operation: Callable[[int], object]) -> None:
    started = time.perf_counter()
    for i in range(OPS):
        operation(i)
    elapsed = time.perf_counter() - started
    print(f"  {label:<28} {OPS / elapsed:>10,.0f} ops/s  {elapsed / OPS * 1e6:>8.1f} us/op")


def _bench(name: str, kv: KvBackends) -> None:
    print(name)
    _rate("cache.set", lambda i: kv.cache.set(f"k{i % 100}", b"x" * 256, ttl_seconds=60))
    _rate("cache.get", lambda i: kv.cache.get(f"k{i % 100}"))

    def lock_cycle(i: int) -> None:
        lease = kv.locks.acquire(f"lock{i % 10}", lease_seconds=5)
        assert lease is not None
        kv.locks.release(lease)

    _rate("lock acquire+release", lock_cycle)
    _rate("rates.hit (limit 1000)", lambda i: kv.rates.hit("bench", limit=1000, window_seconds=60))


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else REDIS_URL
    _bench("in-process", build_kv(None))
    prefix = f"bench:{uuid.uuid4().hex}:"
    redis_kv = build_kv(url, prefix=prefix)
    try:
        _bench(f"redis ({redis_kv.backend})", redis_kv)
    finally:
        assert redis_kv.redis is not None
        keys = list(redis_kv.redis.client.scan_iter(match=f"{prefix}*"))
        if keys:
            redis_kv.redis.client.delete(*keys)
        redis_kv.close()


if __name__ == "__main__":
    main()
