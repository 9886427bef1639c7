"""A task that cannot start yet (its files are busy) goes back to the queue without
spending an attempt, and runs once it can; a cancel request still wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.team.locks import PathsBusyError
from bot.flows.flow_deps import translated_errors
from bot.queue.handlers import HandlerRegistry, TaskContext, TaskDeferredError
from bot.queue.inprocess import InProcessQueue
from bot.queue.wiring import build_inprocess_queue
from storage.sql.database import Database
from storage.sql.models import TaskState
from storage.tasks import NewTask, TaskStore
from tests.queue.harness import queue_settings


def test_defer_requeues_without_counting_the_attempt(database: Database) -> None:
    store = TaskStore(database)
    task, _ = store.create(NewTask(kind="k", max_attempts=1))
    assert store.claim(task.id, "w1", 30) is not None
    assert store.defer(task.id, "w1", 0.0, "paths busy") is TaskState.QUEUED
    again = store.claim(task.id, "w2", 30)
    assert again is not None and again.attempts == 1  # the only attempt is still there
    assert store.cancel(task.id) is TaskState.RUNNING
    assert store.defer(task.id, "w2", 0.0, "paths busy") is TaskState.CANCELLED


def test_busy_paths_defer_the_task_until_it_can_run(database: Database, tmp_path: Path) -> None:
    calls: list[int] = []

    def handler(ctx: TaskContext) -> dict[str, int]:
        calls.append(ctx.task.attempt)
        if len(calls) < 3:
            with translated_errors():
                raise PathsBusyError("app.py is being edited", retry_after_seconds=0.05)
        return {"calls": len(calls)}

    registry = HandlerRegistry()
    registry.register("edit", handler)
    pool: InProcessQueue = build_inprocess_queue(
        queue_settings(tmp_path / "data"), database, registry
    )
    task, _ = pool.store.create(NewTask(kind="edit", max_attempts=1))
    pool.start()
    try:
        pool.enqueue([task.id])
        assert pool.run_until_idle(20)
    finally:
        pool.stop()
    done = pool.store.get(task.id)
    assert done is not None and done.state == TaskState.SUCCEEDED.value
    assert calls == [1, 1, 1] and done.result == {"calls": 3}


def test_team_errors_become_queue_errors() -> None:
    with pytest.raises(TaskDeferredError) as deferred, translated_errors():
        raise PathsBusyError("busy", retry_after_seconds=7)
    assert deferred.value.retry_after_seconds == 7
