from __future__ import annotations

import time

import pytest

from storage.kv import KvBackends
from storage.kv.memory import MemoryCache


def test_missing_key_is_none(kv: KvBackends) -> None:
    assert kv.cache.get("nothing-here") is None
    assert kv.cache.get_json("nothing-here") is None


def test_set_get_overwrite_delete(kv: KvBackends) -> None:
    kv.cache.set("k", b"first")
    assert kv.cache.get("k") == b"first"
    kv.cache.set("k", b"second")
    assert kv.cache.get("k") == b"second"
    kv.cache.delete("k")
    assert kv.cache.get("k") is None
    kv.cache.delete("k")  # deleting a missing key is not an error
    assert kv.cache.get("k") is None


def test_binary_values_round_trip(kv: KvBackends) -> None:
    value = bytes(range(256)) * 4
    kv.cache.set("blob", value)
    assert kv.cache.get("blob") == value


def test_keys_are_independent(kv: KvBackends) -> None:
    kv.cache.set("a", b"1")
    kv.cache.set("b", b"2")
    kv.cache.delete("a")
    assert kv.cache.get("a") is None
    assert kv.cache.get("b") == b"2"


def test_json_round_trip(kv: KvBackends) -> None:
    value = {"name": "café", "n": [1, 2.5, None, True], "nested": {"x": "y"}}
    kv.cache.set_json("doc", value)
    assert kv.cache.get_json("doc") == value
    assert kv.cache.get("doc") == b'{"name":"caf\\u00e9","n":[1,2.5,null,true],"nested":{"x":"y"}}'


def test_ttl_expires(kv: KvBackends) -> None:
    kv.cache.set("short", b"v", ttl_seconds=0.2)
    kv.cache.set_json("short-json", [1], ttl_seconds=0.2)
    kv.cache.set("forever", b"v")
    assert kv.cache.get("short") == b"v"
    assert kv.cache.get_json("short-json") == [1]
    time.sleep(0.35)
    assert kv.cache.get("short") is None
    assert kv.cache.get_json("short-json") is None
    assert kv.cache.get("forever") == b"v"


def test_set_without_ttl_clears_previous_ttl(kv: KvBackends) -> None:
    kv.cache.set("k", b"old", ttl_seconds=0.2)
    kv.cache.set("k", b"new")
    time.sleep(0.35)
    assert kv.cache.get("k") == b"new"


def test_shared_between_clients(kv_pair: tuple[KvBackends, KvBackends]) -> None:
    first, second = kv_pair
    first.cache.set("shared", b"hello")
    assert second.cache.get("shared") == b"hello"


@pytest.mark.parametrize("ttl", [0, -1.5])
def test_non_positive_ttl_is_rejected(kv: KvBackends, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl_seconds must be greater than 0"):
        kv.cache.set("k", b"v", ttl_seconds=ttl)
    assert kv.cache.get("k") is None


def test_expired_keys_do_not_pile_up_in_process() -> None:
    cache = MemoryCache()
    for i in range(300):
        cache.set(f"gone-{i}", b"v", ttl_seconds=0.05)
    time.sleep(0.1)
    for i in range(300):
        cache.set(f"kept-{i}", b"v")
    assert len(cache._items) < 400  # the 300 expired keys were swept during the writes
    assert cache.get("kept-0") == b"v"


def test_set_first_keeps_the_first_value_until_it_expires(kv: KvBackends) -> None:
    assert kv.cache.set_first("once", b"first", ttl_seconds=0.3) is None
    assert kv.cache.set_first("once", b"second", ttl_seconds=0.3) == b"first"
    assert kv.cache.get("once") == b"first"
    time.sleep(0.4)
    assert kv.cache.set_first("once", b"third", ttl_seconds=5) is None
    assert kv.cache.get("once") == b"third"
