"""Tasks: list and inspect them, cancel them, retry the ones that ended badly."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from agents.runtime.trace import task_trace
from bot.api.errors import Conflict, NotFound
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.pagination import fetch_page
from bot.api.schemas import TaskOut, TaskPage, TaskQuery, TaskTraceOut, TraceStepOut
from bot.api.types import Role
from storage.sql.models import Project, Task, TaskState


def list_tasks(call: Call) -> Reply:
    query: TaskQuery = call.query
    statement = select(Task)
    if call.principal.project_id is not None:
        statement = statement.where(Task.project_id == call.principal.project_id)
    if query.project is not None:
        project = call.session.scalar(select(Project).where(Project.name == query.project))
        if project is None or call.principal.role_on(project.id) is None:
            raise NotFound(f"project {query.project!r} not found; check the owner/repo name")
        statement = statement.where(Task.project_id == project.id)
    if query.state is not None:
        statement = statement.where(Task.state == query.state)
    if query.kind is not None:
        statement = statement.where(Task.kind == query.kind)
    if query.group is not None:
        statement = statement.where(Task.group_key == query.group)
    rows, next_cursor = fetch_page(
        call.session, statement, Task.id, limit=query.limit, cursor=query.cursor, descending=True
    )
    return Reply(TaskPage(items=[TaskOut.model_validate(t) for t in rows], next_cursor=next_cursor))


def get_task(call: Call) -> Reply:
    return Reply(TaskOut.model_validate(call.task))


def get_trace(call: Call) -> Reply:
    task = call.task
    assert task is not None
    steps = [TraceStepOut(**step.as_dict()) for step in task_trace(call.session, task)]
    calls = [s for s in steps if s.kind == "response"]
    unpriced = sum(not s.cost_known for s in calls)
    return Reply(
        TaskTraceOut(
            task=TaskOut.model_validate(task),
            steps=steps,
            tokens=sum(s.tokens or 0 for s in steps),
            cost_usd=None
            if calls and unpriced == len(calls)
            else sum(s.cost_usd or 0.0 for s in steps),
            unpriced_calls=unpriced,
        )
    )


def _transition(call: Call, expected: str, **values: object) -> Task:
    """Apply a state change only if the row is still in `expected` (a worker may race us)."""
    task = call.task
    assert task is not None
    result = call.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.state == expected)
        .values(updated_at=datetime.now(UTC), **values)
        .execution_options(synchronize_session=False)
    )
    call.session.refresh(task)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"task {task.id} changed state to {task.state} meanwhile; fetch it and try again"
        )
    return task


def cancel_task(call: Call) -> Reply:
    task = call.task
    assert task is not None
    before = task.state
    if before == TaskState.QUEUED:
        task = _transition(
            call, before, state=TaskState.CANCELLED.value, finished_at=datetime.now(UTC)
        )
    elif before == TaskState.RUNNING:
        # The worker owns a running task; it sees the flag between steps and stops.
        task = _transition(call, before, cancel_requested=True)
    else:
        raise Conflict(f"task {task.id} is already {before}; only queued or running tasks cancel")
    return Reply(
        TaskOut.model_validate(task),
        audit_target=f"task:{task.id}",
        audit_details={"from": before, "to": task.state, "cancel_requested": task.cancel_requested},
    )


def retry_task(call: Call) -> Reply:
    task = call.task
    assert task is not None
    before = task.state
    if before not in (TaskState.FAILED, TaskState.CANCELLED):
        raise Conflict(f"task {task.id} is {before}; only failed or cancelled tasks can be retried")
    task = _transition(
        call,
        before,
        state=TaskState.QUEUED.value,
        attempts=0,
        error=None,
        result=None,
        cancel_requested=False,
        run_after=None,
        lease_owner=None,
        lease_expires_at=None,
        started_at=None,
        finished_at=None,
    )
    return Reply(
        TaskOut.model_validate(task),
        audit_target=f"task:{task.id}",
        audit_details={"from": before, "to": task.state},
        enqueue=(task.id,),
    )


def operations() -> list[Operation]:
    task = "/tasks/{task_id:int}"
    return [
        Operation("GET", "/tasks", "tasks.list", "List tasks, newest first, with filters",
                  list_tasks, Role.VIEWER, Scope.ANY, query=TaskQuery, response=TaskPage),
        Operation("GET", task, "tasks.get", "Get a task",
                  get_task, Role.VIEWER, Scope.TASK, response=TaskOut),
        Operation("GET", task + "/trace", "tasks.trace",
                  "A task's agent steps: model calls with tokens and cost, tool calls and results",
                  get_trace, Role.VIEWER, Scope.TASK, response=TaskTraceOut),
        Operation("POST", task + "/cancel", "tasks.cancel",
                  "Cancel a queued task, or ask a running one to stop",
                  cancel_task, Role.MEMBER, Scope.TASK, response=TaskOut),
        Operation("POST", task + "/retry", "tasks.retry",
                  "Queue a failed or cancelled task again, with its attempts reset",
                  retry_task, Role.MEMBER, Scope.TASK, response=TaskOut),
    ]  # fmt: skip
