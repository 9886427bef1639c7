"""`/stop` and `/status`: act on the issue's or pull request's task group, reply once.
What they do to the group is `agents.team.group_commands`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.team.group_commands import issue_status, stop_issue
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps
from bot.queue.handlers import TaskContext
from storage.sql.database import Database
from webhooks import intents as k
from webhooks.task_payloads import CommentTask, TaskPayload


def stop(deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, _: Admission) -> dict[str, Any]:
    return _group_command(deps, ctx, payload, stop_issue)


def status(deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, _: Admission) -> dict[str, Any]:
    return _group_command(deps, ctx, payload, issue_status)


def _group_command(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, act: Callable[[Database, str], str]
) -> dict[str, Any]:
    assert isinstance(payload, CommentTask)
    group = payload.target_group or k.issue_group(payload.repo, payload.number)
    text = act(deps.worker.database, group)
    host = deps.worker.hosts(payload.installation_id)
    ctx.once(
        f"task:{ctx.task.id}:reply",
        lambda: {"id": host.comment(payload.repo_ref, payload.number, text).id},
    )
    return {"group": group, "reply": text}
