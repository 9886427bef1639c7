from __future__ import annotations

import uuid

import pytest

from storage.kv import KvBackends, KvError, KvUnavailableError, build_kv, check_kv
from storage.kv.memory import MemoryCache
from tests.conftest import REDIS_URL
from tests.storage.kv.conftest import delete_prefixed

# Nothing listens on port 1 of the loopback interface.
DEAD_REDIS = "redis://:hunter2@127.0.0.1:1/0"


def test_none_means_in_process() -> None:
    kv = build_kv(None)
    assert isinstance(kv.cache, MemoryCache)
    kv.ping()
    result = check_kv(kv)
    assert (result.name, result.ok, result.detail) == ("kv", True, "in-process")


def test_both_backends_are_ready(kv: KvBackends) -> None:
    kv.ping()
    assert check_kv(kv).ok


def test_redis_backend_is_named_without_password() -> None:
    kv = build_kv("redis://:s3cret@127.0.0.1:6379/3")
    assert kv.backend == "redis 127.0.0.1:6379/3"
    kv.close()


def test_unreachable_redis_says_how_to_fix() -> None:
    kv = build_kv(DEAD_REDIS)  # building does no I/O, so it cannot fail here
    with pytest.raises(KvUnavailableError, match="CODEMONKEY_REDIS_URL") as caught:
        kv.ping()
    assert "hunter2" not in str(caught.value)
    result = check_kv(kv)
    assert result.ok is False
    assert "127.0.0.1:1" in result.detail
    assert "unset it to use in-process" in result.detail
    with pytest.raises(KvUnavailableError):
        kv.cache.get("k")
    with pytest.raises(KvUnavailableError):
        kv.locks.acquire("k", lease_seconds=1)
    with pytest.raises(KvUnavailableError):
        kv.rates.hit("k", limit=1, window_seconds=1)
    kv.close()


def test_invalid_url_is_rejected_with_the_expected_form() -> None:
    with pytest.raises(KvError, match="redis://"):
        build_kv("http://127.0.0.1:6379")


def test_prefix_separates_deployments() -> None:
    base = f"test:{uuid.uuid4().hex}"
    one, two = build_kv(REDIS_URL, prefix=f"{base}:a:"), build_kv(REDIS_URL, prefix=f"{base}:b:")
    try:
        one.cache.set("same", b"1")
        assert two.cache.get("same") is None
        assert one.locks.acquire("lock", lease_seconds=5) is not None
        assert two.locks.acquire("lock", lease_seconds=5) is not None
    finally:
        for kv in (one, two):
            kv.cache.delete("same")
            kv.close()
        delete_prefixed(base)
