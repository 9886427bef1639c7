"""The kv contract suite runs on the in-process backend and on the real Redis server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from storage.kv import KvBackends, build_kv
from tests.conftest import REDIS_URL


def delete_prefixed(prefix: str) -> None:
    client: redis.Redis = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["memory", "redis"])
def kv_pair(request: pytest.FixtureRequest) -> Iterator[tuple[KvBackends, KvBackends]]:
    """Two handles on one shared state: for Redis, two clients with their own connections
    (as two worker processes would have); in-process, the same object twice."""
    if request.param == "memory":
        kv = build_kv(None)
        yield kv, kv
        return
    prefix = f"test:{uuid.uuid4().hex}:"
    first, second = build_kv(REDIS_URL, prefix=prefix), build_kv(REDIS_URL, prefix=prefix)
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        delete_prefixed(prefix)


@pytest.fixture
def kv(kv_pair: tuple[KvBackends, KvBackends]) -> KvBackends:
    return kv_pair[0]
