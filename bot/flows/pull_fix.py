"""`pr.fix` (changes a reviewer asked for) and `check.fix` (a failing CI check): a
developer changes the pull request's head branch, commits, pushes and replies
(`agents.team.pulls.fix_pull`)."""

from __future__ import annotations

import logging
from typing import Any

from agents.team import pulls
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps
from bot.flows.pull_thread import PullWork, pull_work, running
from bot.queue.handlers import TaskContext
from webhooks.task_payloads import CheckFixTask, TaskPayload

log = logging.getLogger(__name__)


def fix_requested(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> dict[str, Any]:
    work = pull_work(deps, ctx, payload, admission)
    with running(work):
        return _fix(work, work.thread.body)


def fix_failing_check(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> dict[str, Any]:
    assert isinstance(payload, CheckFixTask)
    work = pull_work(deps, ctx, payload, admission)
    with running(work):
        thread = work.thread
        # A CI check fails on events the bot does not cause itself: capped per hour.
        if not deps.guard.allow(thread.repo.full_name, thread.number):
            log.warning("task %s: too many automatic fixes on %s", work.task.id, thread.group_key)
            return {"skipped": "the hourly cap of automatic fixes for this pull request"}
        return _fix(work, f"The check `{payload.check_name}` failed; fix it. {thread.body}")


def _fix(work: PullWork, request: str) -> dict[str, Any]:
    role = work.team.role(work.task.role or "backend_developer")
    return pulls.fix_pull(
        work.team, work.task, work.thread, role, request, review_comment_id=work.review_comment_id
    )
