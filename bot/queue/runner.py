"""Runs one task id: claim with a lease, heartbeat while the handler works, then record."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.logs import log_context
from bot.queue.base import TaskQueue
from bot.queue.handlers import (
    HandlerRegistry,
    PermanentTaskError,
    TaskCancelledError,
    TaskContext,
    TaskDeferredError,
    TaskInfo,
)
from storage.side_effects import SideEffects
from storage.sql.models import Task, TaskState
from storage.tasks import LeaseLostError, TaskStore

log = logging.getLogger("codemonkey.queue.runner")

MAX_ERROR_CHARS = 8000
CANCEL_POLL_SECONDS = 0.25


def default_worker_id(suffix: str = "") -> str:
    """Host, pid and thread: unique per running worker, readable in the tasks table."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{suffix}" if suffix else base


@dataclass(frozen=True)
class RunOutcome:
    task_id: int
    state: TaskState | None  # None: not claimed (already running elsewhere, done, not due)
    lease_lost: bool = False


class _LeaseKeeper:
    """One thread per runner renews the leases of every task running in this process, every
    lease/3. (A thread per task would cost a thread start per task; with noop tasks that
    was the biggest overhead.) A lease that cannot be renewed is marked lost so the handler
    sees `is_cancelled()` and the result is dropped."""

    def __init__(self, renew: Callable[[int, str], bool], interval: float) -> None:
        self._renew = renew
        self._interval = interval
        self._held: dict[tuple[int, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, task_id: int, worker_id: str) -> Iterator[threading.Event]:
        lost = threading.Event()
        with self._lock:
            self._held[(task_id, worker_id)] = lost
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)
                self._thread.start()
        try:
            yield lost
        finally:
            with self._lock:
                self._held.pop((task_id, worker_id), None)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                held = list(self._held.items())
            for (task_id, worker_id), lost in held:
                try:
                    if not self._renew(task_id, worker_id):
                        lost.set()
                except Exception:
                    # A database blip: keep trying until the lease is really gone.
                    log.warning("renewing the lease of task %s failed", task_id, exc_info=True)


class _CancelCheck:
    """`is_cancelled()` for handlers: a lost lease answers at once; the cancel flag is read
    from SQL at most every CANCEL_POLL_SECONDS, so handlers may call it in tight loops."""

    def __init__(self, read_flag: Callable[[], bool], lost: threading.Event) -> None:
        self._read_flag = read_flag
        self._lost = lost
        self._checked_at = -CANCEL_POLL_SECONDS
        self._cancelled = False

    def __call__(self) -> bool:
        if self._lost.is_set():
            return True
        now = time.monotonic()
        if not self._cancelled and now - self._checked_at >= CANCEL_POLL_SECONDS:
            self._checked_at = now
            self._cancelled = self._read_flag()
        return self._cancelled


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
        self._leases = _LeaseKeeper(
            lambda task_id, worker_id: store.renew(task_id, worker_id, lease_seconds),
            lease_seconds / 3,
        )

    def close(self) -> None:
        """Stop the lease-renewal thread (after the last task of this process finished)."""
        self._leases.close()

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
        log.info("task started")
        with self._leases.hold(task.id, worker_id) as lost:
            info = TaskInfo(
                id=task.id,
                kind=task.kind,
                payload=dict(task.payload),
                attempt=task.attempts,
                max_attempts=task.max_attempts,
                project_id=task.project_id,
                group_key=task.group_key,
            )
            ctx = TaskContext(
                task=info,
                side_effects=self._side_effects,
                is_cancelled=_CancelCheck(lambda: self._store.is_cancel_requested(task.id), lost),
                logger=logging.getLogger(f"codemonkey.task.{task.kind}"),
            )
            try:
                result = handler(ctx)
            except PermanentTaskError as exc:
                return self._fail(info, worker_id, f"permanent: {exc}", retry=False)
            except TaskCancelledError as exc:
                return self._fail(info, worker_id, str(exc), retry=False)
            except TaskDeferredError as exc:
                state = self._store.defer(task.id, worker_id, exc.retry_after_seconds, str(exc))
                log.info("task deferred for %.1fs: %s", exc.retry_after_seconds, exc)
                return RunOutcome(task.id, state)
            except Exception as exc:
                detail = "".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:]
                return self._fail(info, worker_id, detail, retry=True)
        if lost.is_set():
            raise LeaseLostError(f"task {task.id}: lease lost while the handler ran")
        ready = self._store.complete(task.id, worker_id, result or {})
        log.info("task succeeded", extra={"fields": {"ready_dependents": ready}})
        if ready:
            self._queue.enqueue(ready)
        return RunOutcome(task.id, TaskState.SUCCEEDED)

    def _fail(self, task: TaskInfo, worker_id: str, error: str, *, retry: bool) -> RunOutcome:
        state = self._store.fail(task.id, worker_id, error, retry=retry)
        level = logging.INFO if state is TaskState.QUEUED else logging.WARNING
        log.log(level, "task attempt failed -> %s: %s", state.value, error.splitlines()[-1])
        hook = self._handlers.failure_hook(task.kind)
        if state is TaskState.FAILED and hook is not None:
            try:
                hook(task, error)
            except Exception:
                # The failure is recorded in SQL either way; the report is best effort.
                log.exception("reporting the failure of task %s failed", task.id)
        return RunOutcome(task.id, state)
