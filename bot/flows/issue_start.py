"""`issue.triage`, `/plan`, `/implement`: start the team's work on an issue.

The admitted trigger becomes the issue's `plan` task, which carries the admission, so
every task of the issue's DAG (`plan` -> work -> `finalize` -> `qa` -> `review` [-> `fix`])
runs with the config that was checked (`bot.flows.team_tasks`)."""

from __future__ import annotations

from typing import Any

from agents.team.issue_flow import start_issue
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps
from bot.queue.handlers import PermanentTaskError, TaskContext
from webhooks.task_payloads import CommentTask, IssueTriage, TaskPayload


def start_issue_work(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> dict[str, Any]:
    assert isinstance(payload, IssueTriage | CommentTask)
    repo, number = payload.repo_ref, payload.number
    # The issue text recorded (sanitized) when the trigger arrived, never a fresh fetch:
    # the author was just found trusted for that trigger, not for later edits.
    if payload.issue_body is None:
        raise PermanentTaskError(
            f"the task has no recorded issue text for #{number}; trigger the work again "
            "(label the issue or comment the command) so the current text is recorded"
        )
    plan = start_issue(
        deps.worker.database,
        repo=repo,
        number=number,
        title=payload.issue_title or f"Issue #{number}",
        body=payload.issue_body,
        # The default branch, as read with the config at admission.
        base=admission.setup.loaded.ref,
        project_id=ctx.task.project_id,
        installation_id=payload.installation_id,
        admission=admission.record,
    )
    deps.queue.enqueue([plan])
    return {"plan_task": plan}
