"""Telling the issue that a task failed for good, what was done and what was not.

A work task that fails after its retries takes its dependants with it (they are
cancelled, and so is the finalize step that would have posted the summary): without this
report the issue would go quiet. One comment per failed task, keyed, so a re-run of the
hook posts nothing new.
"""

from __future__ import annotations

import re

from agents.team.deps import IssueRef, TeamDeps
from agents.team.issue_flow import comment_once, sync_checklist
from storage.sql.models import TaskState
from storage.task_graph import TaskSnapshot, group_tasks, load_task

_QUALIFIED_ERROR = re.compile(r"^(?:[A-Za-z_][\w]*\.)+(?P<name>[A-Za-z_]\w*(?:Error|Exception)): ")


def failure_reason(error: str) -> str:
    """The one line that says why: a traceback's last line, without the module path."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    if not lines:
        return "no reason was recorded"
    last = lines[-1].removeprefix("permanent: ")
    return _QUALIFIED_ERROR.sub(lambda m: f"{m['name']}: ", last)


RESTART_HINT = (
    "Fix the cause, then start the work again (label the issue again or comment "
    "`/implement`); finished tasks are not repeated."
)


def failure_report(
    failed: TaskSnapshot, members: list[TaskSnapshot], error: str, hint: str = RESTART_HINT
) -> str:
    lines = [
        f"### Task #{failed.id} failed",
        "",
        f"**{failed.title}** ({failed.role}) failed after {failed.attempts} "
        f"attempt{'s' if failed.attempts != 1 else ''}: {failure_reason(error)}",
    ]
    done = [t for t in members if t.state == TaskState.SUCCEEDED.value and t.id != failed.id]
    not_done = [t for t in members if t.id != failed.id and t.state != TaskState.SUCCEEDED.value]
    if done:
        lines += ["", "Done:", *(f"- #{t.id} {t.title} ({t.role})" for t in done)]
    if not_done:
        lines += [
            "",
            "Not done:",
            *(f"- #{t.id} {t.title} ({t.role}): {_state(t, failed)}" for t in not_done),
        ]
    if hint:
        lines += ["", hint]
    return "\n".join(lines)


def _state(task: TaskSnapshot, failed: TaskSnapshot) -> str:
    if task.state == TaskState.CANCELLED.value and failed.id in task.depends_on:
        return f"cancelled, it needed #{failed.id}"
    return task.state


def report_failure(deps: TeamDeps, task_id: int, error: str, hint: str = RESTART_HINT) -> None:
    """Post the failure report on the task's issue (once)."""
    with deps.db.session() as session:
        failed = load_task(session, task_id)
        members = group_tasks(session, failed.group_key) if failed.group_key else [failed]
    issue = IssueRef.of(failed)
    body = failure_report(failed, members, error, hint)
    comment_once(deps, issue, f"task:{task_id}:failed", task_id, body)
    sync_checklist(deps, issue)


def task_failed(deps: TeamDeps, task_id: int, error: str, hint: str = RESTART_HINT) -> None:
    """A task failed for good: tell its issue, and remove the checkout it left (nothing
    will continue there; a later attempt at the work is a new task with a new checkout)."""
    try:
        report_failure(deps, task_id, error, hint)
    finally:
        deps.workspaces.discard_task(task_id)
