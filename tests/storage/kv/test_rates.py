from __future__ import annotations

import time

import pytest

from storage.kv import KvBackends, RateDecision


def test_limit_boundary_and_remaining(kv: KvBackends) -> None:
    decisions = [kv.rates.hit("key-a", limit=3, window_seconds=10) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.retry_after_seconds == 0 for d in decisions)
    refused = kv.rates.hit("key-a", limit=3, window_seconds=10)
    assert refused.allowed is False
    assert refused.remaining == 0
    assert 9.0 < refused.retry_after_seconds <= 10.0


def test_retry_after_counts_down_to_the_oldest_hit_leaving(kv: KvBackends) -> None:
    assert kv.rates.hit("k", limit=2, window_seconds=1.0).allowed
    time.sleep(0.3)
    assert kv.rates.hit("k", limit=2, window_seconds=1.0).allowed
    refused = kv.rates.hit("k", limit=2, window_seconds=1.0)
    assert not refused.allowed
    # The first hit is ~0.3 s old, so a slot frees in ~0.7 s.
    assert 0.5 < refused.retry_after_seconds < 0.75
    time.sleep(refused.retry_after_seconds + 0.05)
    allowed = kv.rates.hit("k", limit=2, window_seconds=1.0)
    assert allowed == RateDecision(True, 0, 0.0)
    # The second hit (~0.75 s old) is still in the window.
    assert not kv.rates.hit("k", limit=2, window_seconds=1.0).allowed


def test_window_slides_instead_of_resetting(kv: KvBackends) -> None:
    for _ in range(2):
        assert kv.rates.hit("s", limit=2, window_seconds=0.4).allowed
    assert not kv.rates.hit("s", limit=2, window_seconds=0.4).allowed
    time.sleep(0.45)
    assert kv.rates.hit("s", limit=2, window_seconds=0.4) == RateDecision(True, 1, 0.0)


def test_refused_hits_are_not_counted(kv: KvBackends) -> None:
    assert kv.rates.hit("r", limit=1, window_seconds=0.3).allowed
    for _ in range(5):
        assert not kv.rates.hit("r", limit=1, window_seconds=0.3).allowed
    time.sleep(0.35)
    assert kv.rates.hit("r", limit=1, window_seconds=0.3).allowed


def test_keys_are_independent(kv: KvBackends) -> None:
    assert kv.rates.hit("one", limit=1, window_seconds=10).allowed
    assert not kv.rates.hit("one", limit=1, window_seconds=10).allowed
    assert kv.rates.hit("two", limit=1, window_seconds=10).allowed


def test_clients_share_the_count(kv_pair: tuple[KvBackends, KvBackends]) -> None:
    first, second = kv_pair
    assert first.rates.hit("api-key-7", limit=2, window_seconds=10).remaining == 1
    assert second.rates.hit("api-key-7", limit=2, window_seconds=10).remaining == 0
    assert not first.rates.hit("api-key-7", limit=2, window_seconds=10).allowed


def test_lowering_the_limit_applies_at_once(kv: KvBackends) -> None:
    for _ in range(4):
        assert kv.rates.hit("lower", limit=5, window_seconds=10).allowed
    refused = kv.rates.hit("lower", limit=2, window_seconds=10)
    assert refused.allowed is False
    assert refused.remaining == 0
    assert 9.0 < refused.retry_after_seconds <= 10.0


@pytest.mark.parametrize(("limit", "window", "message"), [(0, 1, "limit"), (1, 0, "window")])
def test_bad_arguments_are_rejected(
    kv: KvBackends, limit: int, window: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        kv.rates.hit("bad", limit=limit, window_seconds=window)
