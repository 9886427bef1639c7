"""The runner around a handler: context, logging fields, lease loss, registry rules."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.logs import current_context
from bot.queue import builtin_handlers as builtin
from bot.queue.handlers import HandlerRegistry, TaskContext
from bot.queue.registry_factory import build_handlers
from bot.queue.runner import TaskRunner
from bot.queue.wiring import build_inprocess_queue, build_store
from storage.side_effects import SideEffects
from storage.sql.database import Database
from storage.sql.models import Task, TaskState
from storage.sql.types import utcnow
from storage.tasks import NewTask
from tests.queue.harness import queue_settings


def test_handler_gets_task_context_and_log_fields(database: Database, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def inspect(ctx: TaskContext) -> None:
        seen.update(
            payload=dict(ctx.task.payload),
            attempt=ctx.task.attempt,
            log=current_context(),
            cancelled=ctx.is_cancelled(),
            group=ctx.task.group_key,
        )

    handlers = HandlerRegistry()
    handlers.register("inspect", inspect)
    settings = queue_settings(tmp_path)
    pool = build_inprocess_queue(settings, database, handlers)
    task, _ = pool.store.create(NewTask(kind="inspect", payload={"n": 1}, group_key="o/r#3"))
    pool.start()
    try:
        pool.enqueue([task.id])
        assert pool.run_until_idle(10)
    finally:
        pool.stop()
    assert seen == {
        "payload": {"n": 1},
        "attempt": 1,
        "log": {"task_id": task.id, "task_kind": "inspect", "attempt": 1},
        "cancelled": False,
        "group": "o/r#3",
    }
    done = pool.store.get(task.id)
    assert done is not None
    assert (done.state, done.result) == (TaskState.SUCCEEDED, {})


def test_stolen_lease_stops_the_handler_and_drops_its_result(
    database: Database, tmp_path: Path
) -> None:
    settings = queue_settings(tmp_path, task_lease_seconds=0.6)
    store = build_store(settings, database)
    stopped = threading.Event()

    def stubborn(ctx: TaskContext) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while not ctx.is_cancelled() and time.monotonic() < deadline:
            time.sleep(0.02)
        stopped.set()
        return {"from": "the worker that lost its lease"}

    handlers = HandlerRegistry()
    handlers.register("stubborn", stubborn)
    pool = build_inprocess_queue(settings, database, handlers)  # only its queue is used
    runner = TaskRunner(
        store, handlers, SideEffects(database), pool, lease_seconds=settings.task_lease_seconds
    )
    task, _ = store.create(NewTask(kind="stubborn"))

    def steal() -> None:
        while (current := store.get(task.id)) is None or current.state != TaskState.RUNNING:
            time.sleep(0.01)
        with database.session() as session:  # as if the owner had stalled past its lease
            session.execute(
                update(Task)
                .where(Task.id == task.id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        assert store.claim(task.id, "thief", 60) is not None

    thief = threading.Thread(target=steal)
    thief.start()
    outcome = runner.run(task.id, "owner")
    thief.join()
    runner.close()
    assert stopped.is_set()
    assert outcome.lease_lost and outcome.state is None
    current = store.get(task.id)
    assert current is not None
    assert (current.state, current.lease_owner, current.attempts, current.result) == (
        TaskState.RUNNING,
        "thief",
        2,
        None,
    )


def test_registry_refuses_a_second_handler_for_a_kind(tmp_path: Path) -> None:
    registry = build_handlers(queue_settings(tmp_path))
    assert {builtin.NOOP, builtin.SLEEP, builtin.FAIL, builtin.PROBE} <= set(registry.kinds())
    with pytest.raises(ValueError, match="already registered"):
        registry.register(builtin.NOOP, builtin.noop)


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        (builtin.PROBE, {"name": "../escape"}, "probe name must match"),
        (builtin.SLEEP, {"seconds": -1}, "'seconds' must be a number of seconds"),
    ],
)
def test_builtin_kinds_reject_bad_payloads_permanently(
    database: Database, tmp_path: Path, kind: str, payload: dict[str, Any], message: str
) -> None:
    settings = queue_settings(tmp_path)
    pool = build_inprocess_queue(settings, database, build_handlers(settings))
    store = pool.store
    task, _ = store.create(NewTask(kind=kind, payload=payload))
    pool.start()
    try:
        pool.enqueue([task.id])
        assert pool.run_until_idle(10)
    finally:
        pool.stop()
    failed = store.get(task.id)
    assert failed is not None and failed.error is not None
    assert (failed.state, failed.attempts) == (TaskState.FAILED, 1)
    assert message in failed.error
    assert not (tmp_path / "escape.effects").exists()
