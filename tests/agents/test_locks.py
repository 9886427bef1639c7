from __future__ import annotations

import threading
import time

import pytest

from agents.team.locks import PathsBusyError, hold_paths, path_lock_names
from storage.kv.base import LockManager
from storage.kv.memory import MemoryLockManager


def test_path_lock_names_are_normalised_and_scoped() -> None:
    assert path_lock_names("octo/a", ["./src/x.py", "src/x.py", "b.py"]) == [
        "path:octo/a:b.py",
        "path:octo/a:src/x.py",
    ]
    assert path_lock_names("octo/a", ["x"]) != path_lock_names("octo/b", ["x"])


def _edit_window(locks: LockManager, paths: list[str], spans: list[tuple[float, float]]) -> None:
    with hold_paths(locks, "repo", paths, lease_seconds=30, wait_seconds=10):
        start = time.monotonic()
        time.sleep(0.2)
        spans.append((start, time.monotonic()))


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_same_path_never_overlaps_disjoint_paths_do() -> None:
    locks = MemoryLockManager()
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
    locks = MemoryLockManager()
    with (
        hold_paths(locks, "repo", ["a.py"], lease_seconds=30, wait_seconds=0),
        pytest.raises(PathsBusyError) as error,
        hold_paths(locks, "repo", ["a.py"], lease_seconds=30, wait_seconds=0.05),
    ):
        pass
    assert "being edited by another task" in str(error.value)
    assert error.value.retry_after_seconds >= 1
    with hold_paths(locks, "repo", [], lease_seconds=30, wait_seconds=0) as lease:
        assert lease is None


def test_held_paths_outlive_their_lease_while_the_holder_works() -> None:
    locks = MemoryLockManager()
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
