"""The hot SQL statements of the task store, built once with bound parameters.

Building an SQLAlchemy statement with a correlated subquery costs more than running it on
SQLite, so the claim/renew/complete statements are constructed on first use and reused;
every call only binds values. Conditions are written once here so `claim`, `ready_tasks`
and the dependents query agree on what "ready" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, false, or_, select, update
from sqlalchemy.sql import Select, Update

from storage.sql.models import Task, TaskDependency, TaskState
from storage.sql.types import UTCDateTime

QUEUED = TaskState.QUEUED.value
RUNNING = TaskState.RUNNING.value
SUCCEEDED = TaskState.SUCCEEDED.value
FINAL = (SUCCEEDED, TaskState.FAILED.value, TaskState.CANCELLED.value)


def _tables() -> tuple[Table, Table]:
    tasks = Task.__table__
    deps = TaskDependency.__table__
    assert isinstance(tasks, Table) and isinstance(deps, Table)
    return tasks, deps


def ready_condition(now: Any) -> Any:
    """Queued, not cancelled, backoff over, and every dependency succeeded."""
    tasks, deps = _tables()
    dep_task = tasks.alias("dep_task")
    pending_dependency = exists(
        select(deps.c.task_id)
        .join(dep_task, dep_task.c.id == deps.c.depends_on_id)
        .where(deps.c.task_id == tasks.c.id, dep_task.c.state != SUCCEEDED)
    )
    return and_(
        tasks.c.state == QUEUED,
        tasks.c.cancel_requested == false(),
        or_(tasks.c.run_after.is_(None), tasks.c.run_after <= now),
        ~pending_dependency,
    )


@dataclass(frozen=True)
class Statements:
    claim: Update
    renew: Update
    complete: Update
    ready_dependents: Select[Any]


def _param(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


@cache
def statements() -> Statements:
    """Parameters: p_id, p_worker, p_now, p_until (lease end), p_result."""
    tasks, deps = _tables()
    now = _param("p_now")
    held = and_(
        tasks.c.id == bindparam("p_id"),
        tasks.c.state == RUNNING,
        tasks.c.lease_owner == bindparam("p_worker"),
    )
    expired = and_(tasks.c.state == RUNNING, tasks.c.lease_expires_at < now)
    claim = (
        update(tasks)
        .where(
            tasks.c.id == bindparam("p_id"),
            tasks.c.cancel_requested == false(),
            tasks.c.attempts < tasks.c.max_attempts,
            or_(ready_condition(now), expired),
        )
        .values(
            state=RUNNING,
            attempts=tasks.c.attempts + 1,
            lease_owner=bindparam("p_worker"),
            lease_expires_at=_param("p_until"),
            started_at=now,
            updated_at=now,
        )
    )
    renew = update(tasks).where(held).values(lease_expires_at=_param("p_until"), updated_at=now)
    complete = (
        update(tasks)
        .where(held)
        .values(
            state=SUCCEEDED,
            result=bindparam("p_result", type_=tasks.c.result.type),
            error=None,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
        )
    )
    dependents = select(deps.c.task_id).where(deps.c.depends_on_id == bindparam("p_id"))
    ready_dependents = select(tasks.c.id).where(tasks.c.id.in_(dependents), ready_condition(now))
    return Statements(claim, renew, complete, ready_dependents)
