"""Running an issue's task DAG in one process: dependencies first, independent tasks in parallel.

`codemonkey run` (no queue, no workers) uses this; with a queue, the task runner does the
same job across workers. Every state transition goes through `TaskStore` (claim with a
lease, complete, fail, defer), so the rows look the same whichever ran them. Tasks whose
declared paths overlap a running task's paths are held back here; the handlers' path locks
are what protects across processes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import Any

from agents.team.deps import TaskCancelledError
from agents.team.locks import PathsBusyError
from storage.sql.database import Database
from storage.sql.types import utcnow
from storage.task_graph import TaskSnapshot, group_tasks, load_task
from storage.tasks import TaskStore

logger = logging.getLogger(__name__)

TaskHandler = Callable[[TaskSnapshot], dict[str, Any] | None]
# Long enough for any agent run: nothing else would take the task over in this process.
LEASE_SECONDS = 24 * 3600.0
POLL_SECONDS = 0.05
DEFER_HORIZON_SECONDS = 60.0


class DagScheduler:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, TaskHandler],
        *,
        parallelism: int = 2,
        owner: str = "local",
        on_failure: Callable[[int, str], None] | None = None,
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self._db = db
        self._store = TaskStore(db)
        self._handlers = handlers
        self._parallelism = parallelism
        self._owner = owner
        self._on_failure = on_failure

    def _ready(self, group_key: str) -> list[TaskSnapshot]:
        with self._db.session() as session:
            members = {t.id: t for t in group_tasks(session, group_key)}
        return [members[i] for i in self._store.ready_tasks() if i in members]

    def run_group(self, group_key: str) -> list[TaskSnapshot]:
        """Run every runnable task of the group until none is left; returns the final rows."""
        running: dict[Future[dict[str, Any] | None], TaskSnapshot] = {}
        with ThreadPoolExecutor(self._parallelism, thread_name_prefix="task") as pool:
            while True:
                busy = {p for t in running.values() for p in t.paths}
                active = {t.id for t in running.values()}
                for task in self._ready(group_key):
                    if len(running) >= self._parallelism:
                        break
                    if task.id in active or busy.intersection(task.paths):
                        continue
                    if self._store.claim(task.id, self._owner, LEASE_SECONDS) is None:
                        continue
                    busy.update(task.paths)
                    with self._db.session() as session:
                        claimed = load_task(session, task.id)
                    running[pool.submit(self._run_one, claimed)] = claimed
                if not running:
                    if self._deferred(group_key):
                        time.sleep(POLL_SECONDS)
                        continue
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    self._record(running.pop(future), future)
        with self._db.session() as session:
            return group_tasks(session, group_key)

    def _deferred(self, group_key: str) -> bool:
        """Whether a task of the group waits only for its deferral to end (busy paths)."""
        soon = utcnow() + timedelta(seconds=DEFER_HORIZON_SECONDS)
        with self._db.session() as session:
            members = {t.id for t in group_tasks(session, group_key)}
        return any(i in members for i in self._store.ready_tasks(soon))

    def _run_one(self, task: TaskSnapshot) -> dict[str, Any] | None:
        handler = self._handlers.get(task.kind)
        if handler is None:
            raise LookupError(
                f"no handler for task kind {task.kind!r}; register one of {sorted(self._handlers)}"
            )
        threading.current_thread().name = f"task-{task.id}"
        return handler(task)

    def _record(self, task: TaskSnapshot, future: Future[dict[str, Any] | None]) -> None:
        error = future.exception()
        if error is None:
            self._store.complete(task.id, self._owner, future.result() or {})
        elif isinstance(error, PathsBusyError):
            self._store.defer(task.id, self._owner, POLL_SECONDS, str(error))
        elif isinstance(error, TaskCancelledError):
            self._store.fail(task.id, self._owner, str(error), retry=False)
        else:
            logger.warning("task %s (%s) failed: %s", task.id, task.kind, error)
            self._store.fail(task.id, self._owner, str(error), retry=False)
            if self._on_failure is not None:
                self._on_failure(task.id, str(error))
