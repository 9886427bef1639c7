"""Paths a task edits beyond the ones it declared: locked at edit time, listed afterwards.

The declared paths are the plan's intent and the lock the task holds from its start; they
are written before anyone has read the code, so an edit may need another file. Such an edit
takes that path's lock when it happens (waiting briefly), or fails as a tool error naming
the task that holds it, so the model can work around it instead of being stuck.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from agents.runtime.ports import ToolError
from agents.team.deps import IssueRef, TeamDeps
from agents.team.locks import PathsBusyError, hold_paths
from storage.sql.models import TaskState
from storage.task_graph import TaskSnapshot, group_tasks

# How long an edit waits for another task's lock before it reports the conflict.
EDIT_WAIT_SECONDS = 5.0


class EditLocks:
    def __init__(self, deps: TeamDeps, issue: IssueRef, task: TaskSnapshot) -> None:
        self._deps = deps
        self._issue = issue
        self._task = task
        self._stack = ExitStack()
        self._held: set[str] = set(task.paths)

    def claim(self, paths: Sequence[str]) -> None:
        """Hold the locks of `paths` until the task ends; a ToolError when another has them."""
        new = sorted(set(paths) - self._held)
        if not new:
            return
        try:
            self._stack.enter_context(
                hold_paths(
                    self._deps.locks,
                    self._issue.repo.full_name,
                    new,
                    lease_seconds=self._deps.lock_lease_seconds,
                    wait_seconds=min(self._deps.lock_wait_seconds, EDIT_WAIT_SECONDS),
                )
            )
        except PathsBusyError as exc:
            raise ToolError(
                f"{new} are being edited by {self._holders(new)}; leave them to it and change "
                "something else, or finish and say in your summary what is still needed there"
            ) from exc
        self._held.update(new)

    def _holders(self, paths: list[str]) -> str:
        with self._deps.db.session() as session:
            running = [
                t
                for t in group_tasks(session, self._issue.group_key)
                if t.id != self._task.id
                and t.state == TaskState.RUNNING.value
                and set(t.paths) & set(paths)
            ]
        if not running:
            return "another task"
        return ", ".join(f"task #{t.id} ({t.role}, {t.title})" for t in running)

    def close(self) -> None:
        self._stack.close()


@contextmanager
def edit_locks(deps: TeamDeps, issue: IssueRef, task: TaskSnapshot) -> Iterator[EditLocks]:
    claims = EditLocks(deps, issue, task)
    try:
        yield claims
    finally:
        claims.close()


@contextmanager
def editing(deps: TeamDeps, issue: IssueRef, task: TaskSnapshot) -> Iterator[EditLocks]:
    """For a task that edits: its declared paths held for the whole run, and the claims it
    takes on any other path it edits."""
    with (
        hold_paths(
            deps.locks,
            issue.repo.full_name,
            task.paths,
            lease_seconds=deps.lock_lease_seconds,
            wait_seconds=deps.lock_wait_seconds,
        ),
        edit_locks(deps, issue, task) as claims,
    ):
        yield claims


def extra_paths(task: TaskSnapshot, changed: Sequence[str]) -> list[str]:
    """The paths a task changed that its plan did not declare."""
    if not task.paths:
        return []
    return sorted(set(changed) - set(task.paths))
