"""Cancelling work that newer events made obsolete (a push supersedes a queued review)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.sql.models import Task, TaskState
from storage.sql.types import utcnow


def cancel_group(
    session: Session, group_key: str, *, kinds: Sequence[str] | None = None, reason: str
) -> list[int]:
    """Cancel the group's queued tasks (optionally only these kinds) and ask its running ones
    to stop at their next step. Returns the ids cancelled outright."""
    conditions = [Task.group_key == group_key]
    if kinds is not None:
        conditions.append(Task.kind.in_(list(kinds)))
    now = utcnow()
    cancelled = session.scalars(
        update(Task)
        .where(*conditions, Task.state == TaskState.QUEUED.value)
        .values(state=TaskState.CANCELLED.value, error=reason, finished_at=now, updated_at=now)
        .returning(Task.id)
    ).all()
    session.execute(
        update(Task)
        .where(*conditions, Task.state == TaskState.RUNNING.value)
        .values(cancel_requested=True, updated_at=now)
    )
    return sorted(cancelled)
