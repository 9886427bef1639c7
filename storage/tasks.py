"""Creating tasks in SQL. The queue carries only task ids; this table is the truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.sql.models import Task, TaskDependency


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
