"""Path locks: a task declares the paths it edits, and holds them while it runs; and the
branch lock, held while a task's commits are integrated onto its issue's branch.

The locks are `storage.kv` locks (in-process in embedded mode, Redis across workers);
this module names them per repository and path, and keeps the lease alive while a long
agent run works, so a crashed worker's paths free up when its lease runs out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePosixPath

from storage.kv.base import Lease, LockManager

logger = logging.getLogger(__name__)


class PathsBusyError(Exception):
    """Another task holds some of the paths: try again later (not a failure)."""

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


def path_lock_names(scope: str, paths: Sequence[str]) -> list[str]:
    """Lock names for paths, normalised so `./a.py` and `a.py` are the same lock."""
    names = {PurePosixPath(p.strip()).as_posix().removeprefix("./") for p in paths}
    return sorted(f"path:{scope}:{name}" for name in names)


def branch_lock_name(scope: str, branch: str) -> str:
    return f"branch:{scope}:{branch}"


@contextmanager
def hold_paths(
    locks: LockManager,
    scope: str,
    paths: Sequence[str],
    *,
    lease_seconds: float,
    wait_seconds: float,
) -> Iterator[Lease | None]:
    """Hold the path locks for the block; raise PathsBusyError if they stay taken.

    A background thread extends the lease every third of `lease_seconds`.
    """
    if not paths:
        yield None
        return
    busy = (
        f"paths {sorted(paths)} are being edited by another task; this task waits and "
        "runs when they are free"
    )
    with hold_locks(
        locks, path_lock_names(scope, paths), busy, lease_seconds, wait_seconds
    ) as lease:
        yield lease


@contextmanager
def hold_branch(
    locks: LockManager, scope: str, branch: str, *, lease_seconds: float, wait_seconds: float
) -> Iterator[Lease]:
    """Hold the branch lock while a task's commits are integrated onto `branch`."""
    busy = f"branch {branch} is being integrated by another task; this task waits and retries"
    with hold_locks(
        locks, [branch_lock_name(scope, branch)], busy, lease_seconds, wait_seconds
    ) as lease:
        yield lease


@contextmanager
def hold_locks(
    locks: LockManager,
    names: list[str],
    busy: str,
    lease_seconds: float,
    wait_seconds: float,
) -> Iterator[Lease]:
    lease = locks.acquire_many(names, lease_seconds=lease_seconds, wait_seconds=wait_seconds)
    if lease is None:
        raise PathsBusyError(busy, retry_after_seconds=max(1.0, min(lease_seconds / 3, 30.0)))
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(lease_seconds / 3):
            if not locks.extend(lease, lease_seconds):
                logger.warning("lost the lock on %s; another task may edit them", names)
                return

    beat = threading.Thread(target=heartbeat, name="lock-heartbeat", daemon=True)
    beat.start()
    try:
        yield lease
    finally:
        stop.set()
        beat.join()
        locks.release(lease)
