from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.kv import KvBackends, Lease


def test_acquire_is_exclusive_until_released(kv: KvBackends) -> None:
    before = time.time()
    lease = kv.locks.acquire("branch:main", lease_seconds=5)
    assert lease is not None
    assert lease.names == ("branch:main",)
    assert before + 5 <= lease.expires_at <= time.time() + 5
    assert kv.locks.acquire("branch:main", lease_seconds=5) is None
    assert kv.locks.release(lease) is True
    again = kv.locks.acquire("branch:main", lease_seconds=5)
    assert again is not None
    assert again.token != lease.token


def test_release_twice_reports_false(kv: KvBackends) -> None:
    lease = kv.locks.acquire("x", lease_seconds=5)
    assert lease is not None
    assert kv.locks.release(lease) is True
    assert kv.locks.release(lease) is False


def test_expired_lease_can_be_taken_and_cannot_release_new_holder(
    kv_pair: tuple[KvBackends, KvBackends],
) -> None:
    first, second = kv_pair
    old = first.locks.acquire("file:a.py", lease_seconds=0.2)
    assert old is not None
    assert second.locks.acquire("file:a.py", lease_seconds=5) is None
    time.sleep(0.3)
    new = second.locks.acquire("file:a.py", lease_seconds=5)
    assert new is not None
    assert first.locks.release(old) is False
    assert first.locks.extend(old, 5) is False
    # The new holder still holds it.
    assert first.locks.acquire("file:a.py", lease_seconds=5) is None
    assert second.locks.release(new) is True


def test_extend_keeps_the_lock_past_its_first_lease(kv: KvBackends) -> None:
    lease = kv.locks.acquire("long-task", lease_seconds=0.3)
    assert lease is not None
    time.sleep(0.15)
    assert kv.locks.extend(lease, 1.0) is True
    time.sleep(0.3)  # past the original deadline
    assert kv.locks.acquire("long-task", lease_seconds=5) is None
    assert kv.locks.release(lease) is True


def test_acquire_many_is_all_or_none(kv_pair: tuple[KvBackends, KvBackends]) -> None:
    first, second = kv_pair
    blocker = first.locks.acquire("b", lease_seconds=5)
    assert blocker is not None
    assert second.locks.acquire_many(["a", "b", "c"], lease_seconds=5) is None
    # Neither "a" nor "c" was left taken by the failed attempt.
    for name in ("a", "c"):
        probe = second.locks.acquire(name, lease_seconds=5)
        assert probe is not None
        assert second.locks.release(probe)
    assert first.locks.release(blocker)
    lease = second.locks.acquire_many(["c", "a", "b", "a"], lease_seconds=5)
    assert lease is not None
    assert lease.names == ("a", "b", "c")
    assert first.locks.acquire("a", lease_seconds=5) is None
    assert first.locks.acquire("c", lease_seconds=5) is None
    assert second.locks.release(lease) is True
    assert first.locks.acquire_many(["a", "b", "c"], lease_seconds=5) is not None


def test_release_of_partly_expired_lease_releases_only_its_own(
    kv_pair: tuple[KvBackends, KvBackends],
) -> None:
    first, second = kv_pair
    lease = first.locks.acquire_many(["p", "q"], lease_seconds=0.2)
    assert lease is not None
    time.sleep(0.3)
    other = second.locks.acquire("q", lease_seconds=5)
    assert other is not None
    assert first.locks.extend(lease, 5) is False
    assert first.locks.release(lease) is False
    assert first.locks.acquire("q", lease_seconds=5) is None
    assert second.locks.release(other) is True


def test_wait_gets_the_lock_when_released(kv_pair: tuple[KvBackends, KvBackends]) -> None:
    first, second = kv_pair
    held = first.locks.acquire("shared", lease_seconds=10)
    assert held is not None
    timer = threading.Timer(0.2, first.locks.release, args=[held])
    timer.start()
    started = time.monotonic()
    waited = second.locks.acquire("shared", lease_seconds=5, wait_seconds=3)
    elapsed = time.monotonic() - started
    timer.join()
    assert waited is not None
    assert 0.15 <= elapsed < 2.5


def test_wait_gets_the_lock_when_the_lease_expires(kv: KvBackends) -> None:
    assert kv.locks.acquire("expiring", lease_seconds=0.2) is not None
    waited = kv.locks.acquire("expiring", lease_seconds=5, wait_seconds=3)
    assert waited is not None


def test_wait_gives_up_after_wait_seconds(kv: KvBackends) -> None:
    assert kv.locks.acquire("busy", lease_seconds=10) is not None
    started = time.monotonic()
    assert kv.locks.acquire("busy", lease_seconds=5, wait_seconds=0.25) is None
    assert 0.2 <= time.monotonic() - started < 2.0


def test_threads_never_hold_the_lock_together(kv_pair: tuple[KvBackends, KvBackends]) -> None:
    inside = 0
    overlaps = 0
    counter = 0
    guard = threading.Lock()

    def work(index: int) -> None:
        nonlocal inside, overlaps, counter
        kv = kv_pair[index % 2]
        for _ in range(5):
            lease = kv.locks.acquire("counter", lease_seconds=10, wait_seconds=20)
            assert lease is not None
            with guard:
                inside += 1
                overlaps += inside > 1
            value = counter
            time.sleep(0.002)  # widen the window a lost update would need
            counter = value + 1
            with guard:
                inside -= 1
            assert kv.locks.release(lease)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))
    assert overlaps == 0
    assert counter == 30


def test_opposite_orders_do_not_deadlock(kv_pair: tuple[KvBackends, KvBackends]) -> None:
    taken: list[Lease] = []

    def work(index: int) -> None:
        kv = kv_pair[index % 2]
        names = ["left", "right"] if index % 2 else ["right", "left"]
        for _ in range(5):
            lease = kv.locks.acquire_many(names, lease_seconds=10, wait_seconds=20)
            assert lease is not None
            taken.append(lease)
            assert kv.locks.release(lease)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    assert len(taken) == 20
    assert all(lease.names == ("left", "right") for lease in taken)


@pytest.mark.parametrize("names", [[], [""]])
def test_bad_names_are_rejected(kv: KvBackends, names: list[str]) -> None:
    with pytest.raises(ValueError, match="lock name"):
        kv.locks.acquire_many(names, lease_seconds=5)


def test_non_positive_lease_is_rejected(kv: KvBackends) -> None:
    with pytest.raises(ValueError, match="lease_seconds must be greater than 0"):
        kv.locks.acquire("x", lease_seconds=0)
    lease = kv.locks.acquire("x", lease_seconds=5)
    assert lease is not None
    with pytest.raises(ValueError, match="lease_seconds must be greater than 0"):
        kv.locks.extend(lease, -1)
