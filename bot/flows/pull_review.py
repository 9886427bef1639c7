"""`pr.review` and `/review`: the code reviewer reviews the pull request
(`agents.team.pulls.review_pull`)."""

from __future__ import annotations

from typing import Any

from agents.team import pulls
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps
from bot.flows.pull_thread import pull_work, running
from bot.queue.handlers import TaskContext
from webhooks.task_payloads import TaskPayload


def review(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> dict[str, Any]:
    work = pull_work(deps, ctx, payload, admission)
    with running(work):
        reviewer = work.team.role("code_reviewer")
        return pulls.review_pull(work.team, work.task, work.thread, reviewer)
