"""Reading the task DAG as plain data, and adding edges to it.

State transitions (claim, complete, fail, cancel, readiness) belong to `storage.tasks`
`TaskStore`; this module only adds what the team flows need on top: snapshots usable
after the session closed, a group's tasks, a task's children, and late dependencies.
Edges live in `task_dependencies` (`task_id` waits for `depends_on_id`). A task may only
depend on tasks that already exist, so the graph cannot hold a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.sql.models import Task, TaskDependency, TaskState


@dataclass(frozen=True)
class TaskSnapshot:
    """A task row as plain data, safe to use after the session closed."""

    id: int
    kind: str
    role: str | None
    title: str
    state: str
    group_key: str | None
    parent_id: int | None
    project_id: int | None
    paths: tuple[str, ...]
    payload: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    cancel_requested: bool = False
    depends_on: tuple[int, ...] = ()
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


def snapshot(session: Session, task: Task) -> TaskSnapshot:
    return TaskSnapshot(
        id=task.id,
        kind=task.kind,
        role=task.role,
        title=task.title,
        state=task.state,
        group_key=task.group_key,
        parent_id=task.parent_id,
        project_id=task.project_id,
        paths=tuple(str(p) for p in task.paths),
        payload=dict(task.payload),
        result=None if task.result is None else dict(task.result),
        error=task.error,
        cancel_requested=task.cancel_requested,
        depends_on=tuple(dependencies(session, task.id)),
        attempts=task.attempts,
        started_at=task.started_at,
        finished_at=task.finished_at,
    )


def load_task(session: Session, task_id: int) -> TaskSnapshot:
    task = session.get(Task, task_id)
    if task is None:
        raise LookupError(f"task {task_id} does not exist; was it deleted with its project?")
    return snapshot(session, task)


def dependencies(session: Session, task_id: int) -> list[int]:
    return list(
        session.scalars(
            select(TaskDependency.depends_on_id)
            .where(TaskDependency.task_id == task_id)
            .order_by(TaskDependency.depends_on_id)
        ).all()
    )


def group_tasks(session: Session, group_key: str) -> list[TaskSnapshot]:
    tasks = session.scalars(select(Task).where(Task.group_key == group_key).order_by(Task.id))
    return [snapshot(session, t) for t in tasks.all()]


def add_dependencies(session: Session, task_id: int, depends_on: list[int]) -> None:
    """Make `task_id` also wait for `depends_on` (e.g. work a lead delegated mid-way)."""
    existing = set(dependencies(session, task_id))
    for dep in depends_on:
        if dep != task_id and dep not in existing:
            session.add(TaskDependency(task_id=task_id, depends_on_id=dep))


def children(session: Session, parent_id: int) -> list[TaskSnapshot]:
    tasks = session.scalars(select(Task).where(Task.parent_id == parent_id).order_by(Task.id))
    return [snapshot(session, t) for t in tasks.all()]


@dataclass(frozen=True)
class LabelledChild:
    id: int
    group_key: str | None
    idempotency_key: str | None


def labelled_children(session: Session, parent_id: int) -> dict[str, LabelledChild]:
    """A task's children by the `label` in their payload (those without one are left out)."""
    tasks = session.scalars(select(Task).where(Task.parent_id == parent_id).order_by(Task.id))
    return {
        str(t.payload["label"]): LabelledChild(t.id, t.group_key, t.idempotency_key)
        for t in tasks
        if t.payload.get("label")
    }


def finished_tasks(session: Session, ids: Iterable[int]) -> set[int]:
    """Which of `ids` are finished: succeeded, failed, cancelled, or not there at all
    (nothing will ever run them again)."""
    wanted = set(ids)
    if not wanted:
        return set()
    final = [s.value for s in TaskState if s.is_final]
    live = session.scalars(select(Task.id).where(Task.id.in_(wanted), Task.state.not_in(final)))
    return wanted - set(live)


def replace_payload(session: Session, task_id: int, payload: dict[str, Any]) -> TaskSnapshot:
    """Store `payload` as the task's (a payload upgraded once in the worker); the task as
    it now is."""
    task = session.get(Task, task_id)
    if task is None:
        raise LookupError(f"task {task_id} does not exist")
    task.payload = payload
    session.flush()
    return snapshot(session, task)
