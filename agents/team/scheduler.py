"""Running an issue's task DAG in one process: dependencies first, independent tasks in parallel.

The embedded mode and `codemonkey run` use this; with a queue, the runner does the same
job across workers. Tasks whose declared paths overlap a running task's paths are held
back (the handlers also take path locks, which is what protects across processes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from agents.team.deps import TaskCancelledError
from storage.sql.database import Database
from storage.sql.models import TaskState
from storage.task_graph import (
    TaskSnapshot,
    blocking,
    group_tasks,
    mark_finished,
    mark_running,
    ready_tasks,
)

logger = logging.getLogger(__name__)

TaskHandler = Callable[[TaskSnapshot], dict[str, Any] | None]


class DagScheduler:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, TaskHandler],
        *,
        parallelism: int = 2,
        owner: str = "local",
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self._db = db
        self._handlers = handlers
        self._parallelism = parallelism
        self._owner = owner

    def run_group(self, group_key: str) -> list[TaskSnapshot]:
        """Run every runnable task of the group until none is left; returns the final rows."""
        running: dict[Future[dict[str, Any] | None], TaskSnapshot] = {}
        with ThreadPoolExecutor(self._parallelism, thread_name_prefix="task") as pool:
            while True:
                self._cancel_orphans(group_key)
                busy = {p for t in running.values() for p in t.paths}
                with self._db.session() as session:
                    ready = [
                        t for t in ready_tasks(session, group_key) if t not in running.values()
                    ]
                for task in ready:
                    if len(running) >= self._parallelism:
                        break
                    if busy.intersection(task.paths):
                        continue
                    busy.update(task.paths)
                    with self._db.session() as session:
                        mark_running(session, task.id, owner=self._owner)
                    running[pool.submit(self._run_one, task)] = task
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    task = running.pop(future)
                    self._record(task, future)
        with self._db.session() as session:
            return group_tasks(session, group_key)

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
        with self._db.session() as session:
            if error is None:
                mark_finished(session, task.id, TaskState.SUCCEEDED, result=future.result())
            elif isinstance(error, TaskCancelledError):
                mark_finished(session, task.id, TaskState.CANCELLED, error=str(error))
            else:
                logger.warning("task %s (%s) failed: %s", task.id, task.kind, error)
                mark_finished(session, task.id, TaskState.FAILED, error=str(error))

    def _cancel_orphans(self, group_key: str) -> None:
        """Queued tasks whose dependency failed can never run: cancel them, saying why."""
        changed = True
        while changed:
            changed = False
            with self._db.session() as session:
                for task in group_tasks(session, group_key):
                    if task.state != TaskState.QUEUED.value:
                        continue
                    _, broken = blocking(session, task.id)
                    if broken:
                        changed = True
                        mark_finished(
                            session,
                            task.id,
                            TaskState.CANCELLED,
                            error=f"not run: dependency task(s) {broken} failed or were cancelled",
                        )
