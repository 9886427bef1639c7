"""`pr.qa` and `/test`: run the repository's tests on the pull request's head and report
them as a check run (`agents.team.pulls.check_pull`)."""

from __future__ import annotations

from typing import Any

from agents.team import pulls
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps
from bot.flows.pull_thread import pull_work, running
from bot.queue.handlers import TaskContext
from webhooks.task_payloads import TaskPayload


def run_pull_checks(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> dict[str, Any]:
    work = pull_work(deps, ctx, payload, admission)
    with running(work):
        return pulls.check_pull(work.team, work.task, work.thread)
