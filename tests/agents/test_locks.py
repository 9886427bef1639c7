from __future__ import annotations

import threading
import time

import pytest

from agents.team.locks import InProcessLockManager, PathsBusyError, hold_paths, path_lock_names


def test_acquire_is_all_or_nothing() -> None:
    locks = InProcessLockManager()
    first = locks.acquire_many(["a", "b"], lease_seconds=10, wait_seconds=0)
    assert first is not None
    assert locks.acquire_many(["b", "c"], lease_seconds=10, wait_seconds=0) is None
    # "c" was not taken by the failed attempt.
    assert locks.acquire_many(["c"], lease_seconds=10, wait_seconds=0) is not None
    assert locks.release(first)
    assert locks.acquire_many(["a", "b"], lease_seconds=10, wait_seconds=0) is not None


def test_waiting_acquire_gets_the_lock_when_released() -> None:
    locks = InProcessLockManager()
    held = locks.acquire_many(["a"], lease_seconds=10, wait_seconds=0)
    assert held is not None
    threading.Timer(0.1, locks.release, args=(held,)).start()
    started = time.monotonic()
    lease = locks.acquire_many(["a"], lease_seconds=10, wait_seconds=5)
    assert lease is not None and 0.05 < time.monotonic() - started < 2


def test_expired_lease_is_free_and_stale_owner_cannot_release_or_extend() -> None:
    now = [100.0]
    locks = InProcessLockManager(clock=lambda: now[0])
    old = locks.acquire_many(["a"], lease_seconds=5, wait_seconds=0)
    assert old is not None
    now[0] += 6
    new = locks.acquire_many(["a"], lease_seconds=5, wait_seconds=0)
    assert new is not None
    assert not locks.release(old)
    assert locks.extend(old, lease_seconds=5) is None
    extended = locks.extend(new, lease_seconds=50)
    assert extended is not None and extended.expires_at == now[0] + 50


def test_path_lock_names_are_normalised_and_scoped() -> None:
    assert path_lock_names("octo/a", ["./src/x.py", "src/x.py", "b.py"]) == [
        "path:octo/a:b.py",
        "path:octo/a:src/x.py",
    ]
    assert path_lock_names("octo/a", ["x"]) != path_lock_names("octo/b", ["x"])


def _edit_window(
    locks: InProcessLockManager, paths: list[str], spans: list[tuple[float, float]]
) -> None:
    with hold_paths(locks, "repo", paths, lease_seconds=30, wait_seconds=10):
        start = time.monotonic()
        time.sleep(0.2)
        spans.append((start, time.monotonic()))


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_same_path_never_overlaps_disjoint_paths_do() -> None:
    locks = InProcessLockManager()
    same: list[tuple[float, float]] = []
    threads = [
        threading.Thread(target=_edit_window, args=(locks, ["app.py", "x.py"], same)),
        threading.Thread(target=_edit_window, args=(locks, ["./app.py"], same)),
    ]
    disjoint: list[tuple[float, float]] = []
    threads += [
        threading.Thread(target=_edit_window, args=(locks, ["web/a.js"], disjoint)),
        threading.Thread(target=_edit_window, args=(locks, ["web/b.js"], disjoint)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(same) == len(disjoint) == 2
    assert not _overlap(*same)
    assert _overlap(*disjoint)


def test_busy_paths_raise_after_waiting() -> None:
    locks = InProcessLockManager()
    with (
        hold_paths(locks, "repo", ["a.py"], lease_seconds=30, wait_seconds=0),
        pytest.raises(PathsBusyError) as error,
        hold_paths(locks, "repo", ["a.py"], lease_seconds=30, wait_seconds=0.05),
    ):
        pass
    assert "being edited by another task" in str(error.value)
    with hold_paths(locks, "repo", [], lease_seconds=30, wait_seconds=0) as lease:
        assert lease is None


def test_held_paths_outlive_their_lease_while_the_holder_works() -> None:
    locks = InProcessLockManager()
    with hold_paths(locks, "repo", ["a.py"], lease_seconds=0.3, wait_seconds=0):
        time.sleep(0.7)  # more than two leases: the heartbeat kept extending it
        assert (
            locks.acquire_many(path_lock_names("repo", ["a.py"]), lease_seconds=1, wait_seconds=0)
            is None
        )
    assert (
        locks.acquire_many(path_lock_names("repo", ["a.py"]), lease_seconds=1, wait_seconds=0)
        is not None
    )
