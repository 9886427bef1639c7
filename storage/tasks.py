"""Tasks in SQL: creation and every state transition. The queue carries only task ids.

Transitions are single conditional `UPDATE ... WHERE <expected state>` statements, so they
are atomic on SQLite (one writer at a time) and on PostgreSQL (READ COMMITTED re-checks the
WHERE clause on the locked row after a concurrent writer commits): when two workers race
for the same task, exactly one UPDATE matches the row and the other sees rowcount 0.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, and_, false, func, select, update
from sqlalchemy.orm import Session

from storage.sql.database import Database
from storage.sql.models import Task, TaskDependency, TaskState
from storage.sql.types import utcnow
from storage.task_sql import FINAL, QUEUED, RUNNING, ready_condition, statements


class TaskStoreError(Exception):
    """A transition was asked of a task in a state that does not allow it."""


class LeaseLostError(TaskStoreError):
    """The worker no longer holds the task's lease (it expired and another worker took it,
    or the task was finalised meanwhile); the worker must drop its result."""


@dataclass(frozen=True)
class NewTask:
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    project_id: int | None = None
    parent_id: int | None = None
    role: str | None = None
    title: str = ""
    group_key: str | None = None
    # A second create with the same key returns the existing task instead of a new one.
    idempotency_key: str | None = None
    paths: tuple[str, ...] = ()
    depends_on: tuple[int, ...] = ()
    max_attempts: int = 3


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    kind: str | None = None
    group_key: str | None = None
    project_id: int | None = None
    parent_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: base * 2**(attempt-1), scaled by 0.5..1.5, capped."""

    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        raw = self.base_seconds * (2 ** max(attempt - 1, 0))
        return float(min(raw, self.max_seconds) * rng.uniform(0.5, 1.5))


def create_task(session: Session, new: NewTask) -> tuple[Task, bool]:
    """Insert a task (or find the one with the same idempotency key).

    Returns the task and whether it was created now. The caller commits, and enqueues the
    id only after the commit, so a worker never sees an id whose row is not visible yet.
    """
    if new.idempotency_key is not None:
        existing = session.scalar(select(Task).where(Task.idempotency_key == new.idempotency_key))
        if existing is not None:
            return existing, False
    task = Task(
        kind=new.kind,
        payload=dict(new.payload),
        project_id=new.project_id,
        parent_id=new.parent_id,
        role=new.role,
        title=new.title,
        group_key=new.group_key,
        idempotency_key=new.idempotency_key,
        paths=list(new.paths),
        max_attempts=new.max_attempts,
    )
    session.add(task)
    session.flush()
    for dependency in new.depends_on:
        session.add(TaskDependency(task_id=task.id, depends_on_id=dependency))
    return task, True


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _held_by(task_id: int, worker_id: str) -> Any:
    return and_(Task.id == task_id, Task.state == RUNNING, Task.lease_owner == worker_id)


# `TaskStore.list` shadows the builtin inside the class body; these names keep hints clear.
TaskIds = list[int]
Tasks = list[Task]


class TaskStore:
    """Atomic task transitions. Safe to share between threads; holds no connection itself."""

    def __init__(
        self,
        database: Database,
        *,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._db = database
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()

    def create(self, new: NewTask) -> tuple[Task, bool]:
        """Create a task in its own transaction; enqueue its id after this returns."""
        with self._db.session() as session:
            return create_task(session, new)

    def get(self, task_id: int) -> Task | None:
        with self._db.session() as session:
            return session.get(Task, task_id)

    def list(self, filters: TaskFilter | None = None) -> Tasks:
        f = filters or TaskFilter()
        query = select(Task).order_by(Task.id).limit(f.limit)
        for column, value in (
            (Task.state, f.state),
            (Task.kind, f.kind),
            (Task.group_key, f.group_key),
            (Task.project_id, f.project_id),
            (Task.parent_id, f.parent_id),
        ):
            if value is not None:
                query = query.where(column == value)
        with self._db.session() as session:
            return list(session.scalars(query))

    def claim(self, task_id: int, worker_id: str, lease_seconds: float) -> Task | None:
        """Take the lease on a runnable task and count an attempt; None if not runnable now.

        Runnable: queued with dependencies succeeded and `run_after` passed, or running with
        an expired lease (its worker died). Duplicate queue entries for one id end here.
        """
        now = utcnow()
        params = {
            "p_id": task_id,
            "p_worker": worker_id,
            "p_now": now,
            "p_until": now + timedelta(seconds=lease_seconds),
        }
        with self._db.session() as session:
            if _rowcount(session.connection().execute(statements().claim, params)) != 1:
                return None
            return session.get(Task, task_id, populate_existing=True)

    def renew(self, task_id: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend the lease; False means it was lost and the worker must stop."""
        now = utcnow()
        params = {
            "p_id": task_id,
            "p_worker": worker_id,
            "p_now": now,
            "p_until": now + timedelta(seconds=lease_seconds),
        }
        with self._db.session() as session:
            return _rowcount(session.connection().execute(statements().renew, params)) == 1

    def complete(self, task_id: int, worker_id: str, result: dict[str, Any]) -> TaskIds:
        """Mark succeeded; returns the dependents that became ready (enqueue them)."""
        sql = statements()
        params = {"p_id": task_id, "p_worker": worker_id, "p_now": utcnow(), "p_result": result}
        with self._db.session() as session:
            connection = session.connection()
            if _rowcount(connection.execute(sql.complete, params)) != 1:
                raise LeaseLostError(f"task {task_id}: lease not held by {worker_id}")
            return list(connection.scalars(sql.ready_dependents, params))

    def fail(self, task_id: int, worker_id: str, error: str, *, retry: bool) -> TaskState:
        """Record a failed attempt and return the task's new state.

        QUEUED: retried after a backoff (`run_after`; the reaper enqueues it when due).
        FAILED: no retry asked or attempts exhausted; queued dependents are cancelled.
        CANCELLED: a cancel was requested while it ran; dependents are cancelled too.
        """
        for _ in range(5):
            now = utcnow()
            with self._db.session() as session:
                seen = session.execute(
                    select(Task.attempts, Task.max_attempts, Task.cancel_requested).where(
                        _held_by(task_id, worker_id)
                    )
                ).one_or_none()
                if seen is None:
                    raise LeaseLostError(f"task {task_id}: lease not held by {worker_id}")
                attempts, max_attempts, cancel_requested = seen
                values: dict[str, Any] = {
                    "error": error,
                    "lease_owner": None,
                    "lease_expires_at": None,
                    "updated_at": now,
                }
                if cancel_requested:
                    state = TaskState.CANCELLED
                elif retry and attempts < max_attempts:
                    state = TaskState.QUEUED
                    delay = self._retry.delay(attempts, self._rng)
                    values["run_after"] = now + timedelta(seconds=delay)
                else:
                    state = TaskState.FAILED
                values["state"] = state.value
                if state.is_final:
                    values["finished_at"] = now
                # Guarded on what was read: a cancel request landing in between must not
                # be overwritten by a retry (a queued task with a cancel flag never runs).
                stmt = (
                    update(Task)
                    .where(
                        _held_by(task_id, worker_id),
                        Task.attempts == attempts,
                        Task.cancel_requested == cancel_requested,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(session.execute(stmt)) != 1:
                    continue
                if state.is_final:
                    _cancel_dependents(session, [task_id], now)
                return state
        raise LeaseLostError(f"task {task_id}: changed under {worker_id} on every try")

    def defer(self, task_id: int, worker_id: str, seconds: float, reason: str) -> TaskState:
        """Put a running task back in the queue to run after `seconds`, without counting
        the attempt: it could not start (e.g. the paths it edits are busy), which is not a
        failure. A cancel requested meanwhile ends it as cancelled instead."""
        now = utcnow()
        with self._db.session() as session:
            cancelled = session.execute(
                update(Task)
                .where(_held_by(task_id, worker_id), Task.cancel_requested)
                .values(
                    state=TaskState.CANCELLED.value,
                    error=reason,
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(cancelled) == 1:
                _cancel_dependents(session, [task_id], now)
                return TaskState.CANCELLED
            deferred = session.execute(
                update(Task)
                .where(_held_by(task_id, worker_id), ~Task.cancel_requested)
                .values(
                    state=QUEUED,
                    attempts=Task.attempts - 1,
                    error=reason,
                    run_after=now + timedelta(seconds=seconds),
                    lease_owner=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(deferred) != 1:
                raise LeaseLostError(f"task {task_id}: lease not held by {worker_id}")
            return TaskState.QUEUED

    def cancel(self, task_id: int) -> TaskState | None:
        """Queued -> cancelled now; running -> cancel requested (the handler stops).

        Returns the state afterwards (RUNNING means the request was recorded), or None when
        there is no such task.
        """
        with self._db.session() as session:
            states = _cancel(session, select(Task.id).where(Task.id == task_id))
            return states.get(task_id)

    def cancel_group(self, group_key: str) -> dict[int, TaskState]:
        """Cancel every unfinished task of a group; returns the affected tasks' new states."""
        with self._db.session() as session:
            query = select(Task.id).where(Task.group_key == group_key, Task.state.not_in(FINAL))
            return _cancel(session, query)

    def is_cancel_requested(self, task_id: int) -> bool:
        with self._db.session() as session:
            value = session.scalar(select(Task.cancel_requested).where(Task.id == task_id))
            return bool(value)

    def expired_leases(self, now: datetime | None = None) -> TaskIds:
        """Running tasks whose worker stopped renewing and that may run again."""
        moment = now or utcnow()
        query = select(Task.id).where(
            Task.state == RUNNING,
            Task.lease_expires_at < moment,
            Task.cancel_requested == false(),
            Task.attempts < Task.max_attempts,
        )
        with self._db.session() as session:
            return list(session.scalars(query.order_by(Task.id)))

    def ready_tasks(
        self, now: datetime | None = None, limit: int = 1000, *, quiet_seconds: float = 0.0
    ) -> TaskIds:
        """Queued tasks that can start now (dependencies done, backoff over).

        `quiet_seconds` skips tasks changed more recently than that: their creator (or the
        worker that finished their last dependency) is enqueueing them right now, and the
        reaper need not offer them a second time.
        """
        moment = now or utcnow()
        query = (
            select(Task.id)
            .where(
                ready_condition(moment),
                Task.updated_at <= moment - timedelta(seconds=quiet_seconds),
            )
            .order_by(Task.id)
            .limit(limit)
        )
        with self._db.session() as session:
            return list(session.scalars(query))

    def finalize_abandoned(self, now: datetime | None = None) -> dict[int, TaskState]:
        """Close tasks whose worker died and that must not run again.

        An expired lease with a cancel request becomes CANCELLED; one that already used its
        last attempt becomes FAILED (the worker died on every try).
        """
        moment = now or utcnow()
        expired = and_(Task.state == RUNNING, Task.lease_expires_at < moment)
        outcomes = (
            (TaskState.CANCELLED, Task.cancel_requested, "cancelled while its worker was gone"),
            (
                TaskState.FAILED,
                and_(~Task.cancel_requested, Task.attempts >= Task.max_attempts),
                "worker lost (lease expired) on its last attempt; if this repeats, the "
                "handler is likely crashing or hanging its worker process",
            ),
        )
        out: dict[int, TaskState] = {}
        with self._db.session() as session:
            for state, condition, message in outcomes:
                ids = list(session.scalars(select(Task.id).where(expired, condition)))
                if not ids:
                    continue
                # Re-checked in the UPDATE: a stalled owner may have renewed meanwhile.
                session.execute(
                    update(Task)
                    .where(Task.id.in_(ids), expired, condition)
                    .values(
                        state=state.value,
                        error=func.coalesce(Task.error, message),
                        lease_owner=None,
                        lease_expires_at=None,
                        finished_at=moment,
                        updated_at=moment,
                    )
                    .execution_options(synchronize_session=False)
                )
                done = select(Task.id).where(
                    Task.id.in_(ids), Task.state == state.value, Task.finished_at == moment
                )
                out.update({task_id: state for task_id in session.scalars(done)})
            _cancel_dependents(session, list(out), moment)
        return out

    def count_unfinished(self) -> int:
        with self._db.session() as session:
            query = select(func.count()).select_from(Task).where(Task.state.not_in(FINAL))
            return int(session.scalar(query) or 0)


def _cancel(session: Session, ids_query: Any) -> dict[int, TaskState]:
    """Conditional UPDATEs, in an order that leaves no gap: queued ones are cancelled, then
    running ones flagged, then queued ones again (a task that went from running back to
    queued for a retry in between). A task claimed between the first two is caught by the
    flag; one retried after the flag sees it in `fail` and ends cancelled."""
    now = utcnow()
    ids = list(session.scalars(ids_query))
    if not ids:
        return {}

    def cancel_queued() -> None:
        session.execute(
            update(Task)
            .where(Task.id.in_(ids), Task.state == QUEUED)
            .values(
                state=TaskState.CANCELLED.value,
                finished_at=now,
                updated_at=now,
                error=func.coalesce(Task.error, "cancelled before it ran"),
            )
            .execution_options(synchronize_session=False)
        )

    cancel_queued()
    session.execute(
        update(Task)
        .where(Task.id.in_(ids), Task.state == RUNNING)
        .values(cancel_requested=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    cancel_queued()
    rows = session.execute(select(Task.id, Task.state).where(Task.id.in_(ids))).all()
    out = {task_id: TaskState(state) for task_id, state in rows}
    _cancel_dependents(session, [i for i, s in out.items() if s is TaskState.CANCELLED], now)
    return out


def _cancel_dependents(session: Session, finished_ids: Sequence[int], now: datetime) -> None:
    """A task that will never succeed blocks its dependents forever; cancel them (transitively)."""
    frontier = list(finished_ids)
    while frontier:
        dependents = select(TaskDependency.task_id).where(
            TaskDependency.depends_on_id.in_(frontier)
        )
        blocked = session.scalars(
            select(Task).where(Task.id.in_(dependents), Task.state == QUEUED)
        ).all()
        for task in blocked:
            task.state = TaskState.CANCELLED.value
            task.error = "a task it depends on failed or was cancelled"
            task.finished_at = now
            task.updated_at = now
        session.flush()
        frontier = [task.id for task in blocked]
