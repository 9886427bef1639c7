"""Path locks: a task declares the paths it edits, and holds them while it runs.

`InProcessLockManager` serves one process (embedded mode and tests); the Redis
implementation of the same `LockManager` protocol serves many workers.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePosixPath

from agents.team.ports import Lease, LockManager

logger = logging.getLogger(__name__)


class PathsBusyError(Exception):
    """Another task holds some of the paths; retry later (the queue's retry does that)."""


def path_lock_names(scope: str, paths: Sequence[str]) -> list[str]:
    """Lock names for paths, normalised so `./a.py` and `a.py` are the same lock."""
    return sorted({f"path:{scope}:{PurePosixPath(p.strip()).as_posix()}" for p in paths})


class InProcessLockManager:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._held: dict[str, tuple[str, float]] = {}
        self._changed = threading.Condition()

    def _free(self, names: Sequence[str], now: float) -> bool:
        return all(n not in self._held or self._held[n][1] <= now for n in names)

    def acquire_many(
        self, names: Sequence[str], *, lease_seconds: float, wait_seconds: float
    ) -> Lease | None:
        deadline = self._clock() + wait_seconds
        with self._changed:
            while True:
                now = self._clock()
                if self._free(names, now):
                    token = uuid.uuid4().hex
                    expires = now + lease_seconds
                    for name in names:
                        self._held[name] = (token, expires)
                    return Lease(tuple(names), token, expires)
                remaining = deadline - now
                if remaining <= 0:
                    return None
                # Wake at the latest when the earliest lease in the way expires.
                expiries = [self._held[n][1] - now for n in names if n in self._held]
                self._changed.wait(min([remaining, *expiries]))

    def release(self, lease: Lease) -> bool:
        with self._changed:
            owned = [n for n in lease.names if self._held.get(n, ("", 0.0))[0] == lease.token]
            for name in owned:
                del self._held[name]
            self._changed.notify_all()
            return len(owned) == len(lease.names)

    def extend(self, lease: Lease, *, lease_seconds: float) -> Lease | None:
        with self._changed:
            now = self._clock()
            if any(self._held.get(n, ("", 0.0))[0] != lease.token for n in lease.names):
                return None
            expires = now + lease_seconds
            for name in lease.names:
                self._held[name] = (lease.token, expires)
            return Lease(lease.names, lease.token, expires)


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

    A background thread extends the lease every third of `lease_seconds`, so a long agent
    run keeps its paths while a crashed worker's paths free up when the lease runs out.
    """
    if not paths:
        yield None
        return
    names = path_lock_names(scope, paths)
    lease = locks.acquire_many(names, lease_seconds=lease_seconds, wait_seconds=wait_seconds)
    if lease is None:
        raise PathsBusyError(
            f"paths {sorted(paths)} are being edited by another task; this task will be "
            "retried when they are free"
        )
    stop = threading.Event()
    current = [lease]

    def heartbeat() -> None:
        while not stop.wait(lease_seconds / 3):
            extended = locks.extend(current[0], lease_seconds=lease_seconds)
            if extended is None:
                logger.warning("lost the lock on %s; another task may edit them", names)
                return
            current[0] = extended

    beat = threading.Thread(target=heartbeat, name="path-lock-heartbeat", daemon=True)
    beat.start()
    try:
        yield lease
    finally:
        stop.set()
        beat.join()
        locks.release(current[0])
