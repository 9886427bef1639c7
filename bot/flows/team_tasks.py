"""The team's own tasks (`plan`, `design`, `implement`, `finalize`, `qa`, `review`,
`fix`): each runs its handler (`agents.team.kinds`) with the config its issue was admitted
with. They are not admitted again, and do not run without that admission
(`bot.flows.admission.inherited`)."""

from __future__ import annotations

from typing import Any

from agents.githost import RepoRef
from agents.team.environment import task_scratch
from agents.team.failures import task_failed
from agents.team.issue_task import stage_of
from agents.team.kinds import handlers
from bot.flows.admission import inherited
from bot.flows.flow_deps import FlowDeps, translated_errors
from bot.queue.handlers import TaskContext, TaskInfo


def run_team_task(deps: FlowDeps, ctx: TaskContext) -> dict[str, Any] | None:
    task = deps.snapshot(ctx)
    admission = inherited(deps, task)
    if task.payload.get("admission") is None:  # admitted just now: it carries it since
        task = deps.snapshot(ctx)
    stage = stage_of(task.payload)
    repo = RepoRef.parse(stage.repo)
    team = deps.worker.team(stage.installation_id, repo, admission.setup)
    with translated_errors(), task_scratch(team, task.id):
        return handlers(team)[task.kind](task)


def report_team_failure(deps: FlowDeps, task: TaskInfo, error: str) -> None:
    """A team task failed for good: tell its issue what failed and what was not done, and
    remove the checkout it left."""
    stage = stage_of(task.payload)
    repo = RepoRef.parse(stage.repo)
    worker = deps.worker
    host = worker.hosts(stage.installation_id)
    # The report is no work: a task that never had an admission (and failed for that) is
    # reported with the config as it is now.
    record = stage.admission
    setup = (
        worker.repository(host, repo)
        if record is None
        else worker.repositories.admitted(repo, record)
    )
    task_failed(worker.team(stage.installation_id, repo, setup), task.id, error)
