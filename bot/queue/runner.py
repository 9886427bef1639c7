"""Runs one task id: claim with a lease, heartbeat while the handler works, then record."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bot.logs import log_context
from bot.queue.base import TaskQueue
from bot.queue.handlers import (
    HandlerRegistry,
    PermanentTaskError,
    TaskCancelledError,
    TaskContext,
    TaskInfo,
)
from storage.side_effects import SideEffects
from storage.sql.models import Task, TaskState
from storage.tasks import LeaseLostError, TaskStore

log = logging.getLogger("codemonkey.queue.runner")

MAX_ERROR_CHARS = 8000


def default_worker_id(suffix: str = "") -> str:
    """Host, pid and thread: unique per running worker, readable in the tasks table."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{suffix}" if suffix else base


@dataclass(frozen=True)
class RunOutcome:
    task_id: int
    state: TaskState | None  # None: not claimed (already running elsewhere, done, not due)
    lease_lost: bool = False


class _Heartbeat:
    """Renews the lease every lease/3 so a live worker keeps its task; stops on loss."""

    def __init__(self, renew: Callable[[], bool], interval: float) -> None:
        self._renew = renew
        self._interval = interval
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                held = self._renew()
            except Exception:
                # A database blip: keep trying until the lease is really gone.
                log.warning("lease renewal failed; retrying", exc_info=True)
                continue
            if not held:
                self.lost.set()
                return


class TaskRunner:
    """Stateless between calls; one instance serves every worker thread of a process."""

    def __init__(
        self,
        store: TaskStore,
        handlers: HandlerRegistry,
        side_effects: SideEffects,
        queue: TaskQueue,
        *,
        lease_seconds: float,
    ) -> None:
        self._store = store
        self._handlers = handlers
        self._side_effects = side_effects
        self._queue = queue
        self._lease = lease_seconds

    def run(self, task_id: int, worker_id: str) -> RunOutcome:
        task = self._store.claim(task_id, worker_id, self._lease)
        if task is None:
            log.debug("task %s not claimable now; skipping this queue entry", task_id)
            return RunOutcome(task_id, None)
        with log_context(task_id=task.id, task_kind=task.kind, attempt=task.attempts):
            try:
                return self._run_claimed(task, worker_id)
            except LeaseLostError:
                log.warning("lease lost before the result was recorded; result dropped")
                return RunOutcome(task_id, None, lease_lost=True)

    def _run_claimed(self, task: Task, worker_id: str) -> RunOutcome:
        handler = self._handlers.get(task.kind)
        if handler is None:
            error = (
                f"unknown task kind {task.kind!r}; register a handler for it in "
                f"bot.queue.registry_factory.build_handlers (known: {self._handlers.kinds()})"
            )
            state = self._store.fail(task.id, worker_id, error, retry=False)
            return RunOutcome(task.id, state)
        heartbeat = _Heartbeat(
            lambda: self._store.renew(task.id, worker_id, self._lease), self._lease / 3
        )
        ctx = TaskContext(
            task=TaskInfo(
                id=task.id,
                kind=task.kind,
                payload=dict(task.payload),
                attempt=task.attempts,
                max_attempts=task.max_attempts,
                project_id=task.project_id,
                group_key=task.group_key,
            ),
            side_effects=self._side_effects,
            is_cancelled=lambda: (
                heartbeat.lost.is_set() or self._store.is_cancel_requested(task.id)
            ),
            logger=logging.getLogger(f"codemonkey.task.{task.kind}"),
        )
        log.info("task started")
        with heartbeat:
            try:
                result = handler(ctx)
            except PermanentTaskError as exc:
                return self._fail(task.id, worker_id, f"permanent: {exc}", retry=False)
            except TaskCancelledError as exc:
                return self._fail(task.id, worker_id, str(exc), retry=False)
            except Exception as exc:
                detail = "".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:]
                return self._fail(task.id, worker_id, detail, retry=True)
        if heartbeat.lost.is_set():
            raise LeaseLostError(f"task {task.id}: lease lost while the handler ran")
        ready = self._store.complete(task.id, worker_id, result or {})
        log.info("task succeeded", extra={"fields": {"ready_dependents": ready}})
        if ready:
            self._queue.enqueue(ready)
        return RunOutcome(task.id, TaskState.SUCCEEDED)

    def _fail(self, task_id: int, worker_id: str, error: str, *, retry: bool) -> RunOutcome:
        state = self._store.fail(task_id, worker_id, error, retry=retry)
        level = logging.INFO if state is TaskState.QUEUED else logging.WARNING
        log.log(level, "task attempt failed -> %s: %s", state.value, error.splitlines()[-1])
        return RunOutcome(task_id, state)
