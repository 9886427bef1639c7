"""Task kind -> handler: what the queue runner (or the local scheduler) registers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from agents.team.deps import TeamDeps
from agents.team.finalize import handle_finalize
from agents.team.flows import handle_design, handle_implement, handle_plan
from agents.team.scheduler import TaskHandler
from storage.task_graph import load_task


class HasTaskId(Protocol):
    """What the queue hands a handler (its `TaskContext`); only the id is needed here."""

    @property
    def task_id(self) -> int: ...


def handlers(deps: TeamDeps) -> dict[str, TaskHandler]:
    return {
        "plan": partial(handle_plan, deps),
        "design": partial(handle_design, deps),
        "implement": partial(handle_implement, deps),
        "finalize": partial(handle_finalize, deps),
    }


def queue_handlers(deps: TeamDeps) -> dict[str, Callable[[HasTaskId], dict[str, Any] | None]]:
    """The same handlers taking the queue's task context: the row is loaded fresh from SQL.

    `PathsBusyError` means "retry later"; `TaskCancelledError` means "cancelled, do not retry".
    """
    by_kind = handlers(deps)

    def bind(handler: TaskHandler) -> Callable[[HasTaskId], dict[str, Any] | None]:
        def run(ctx: HasTaskId) -> dict[str, Any] | None:
            with deps.db.session() as session:
                task = load_task(session, ctx.task_id)
            return handler(task)

        return run

    return {kind: bind(handler) for kind, handler in by_kind.items()}
