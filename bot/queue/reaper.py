"""Recovers work the queue lost: tasks of dead workers and ready tasks nobody enqueued.

Every worker process (RQ or in-process pool) runs one reaper. A task whose worker was
killed stops having its lease renewed; once the lease expires the next reaper pass (at
most `interval` later) offers its id to the queue again and any worker claims it. So a
killed worker's task restarts within `lease + interval` (30 s + 5 s by default) plus the
wait for a free worker, where RQ alone would notice a dead worker only after its job
timeout and worker TTL (minutes). Ready tasks are re-offered on each pass too: retries
whose backoff ended, dependents whose enqueue was lost, ids a Redis failover dropped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.queue.base import TaskQueue
from storage.sql.models import TaskState
from storage.tasks import TaskStore

log = logging.getLogger("codemonkey.queue.reaper")


@dataclass(frozen=True)
class ReapReport:
    reoffered: tuple[int, ...]
    finalized: dict[int, TaskState]


class Reaper:
    def __init__(self, store: TaskStore, queue: TaskQueue, *, interval_seconds: float) -> None:
        self._store = store
        self._queue = queue
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def reap_once(self) -> ReapReport:
        finalized = self._store.finalize_abandoned()
        expired = self._store.expired_leases()
        ready = self._store.ready_tasks(quiet_seconds=self.interval)
        ids = tuple(dict.fromkeys([*expired, *ready]))
        if ids:
            self._queue.enqueue(ids)
        if expired or finalized:
            log.warning(
                "recovered tasks of lost workers",
                extra={"fields": {"requeued": expired, "finalized": finalized}},
            )
        return ReapReport(ids, finalized)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("reaper already started; call stop() first")
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="task-reaper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.reap_once()
            except Exception:
                # Database or Redis briefly down: the next pass retries; never kill the loop.
                log.exception("reaper pass failed; retrying in %.1fs", self.interval)
