"""`mention.answer`: the addressed role replies in the thread it was mentioned in. Ingress
decided whether the mention asks for a change (`wants_change`: a developer changes the
pull request, `agents.team.pulls.fix_pull`) or for an answer (`agents.team.pulls.answer`)."""

from __future__ import annotations

from typing import Any

from agents.team import pulls
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps
from bot.flows.pull_thread import pull_work, running
from bot.queue.handlers import TaskContext
from webhooks.task_payloads import CommentTask, TaskPayload


def reply_to_mention(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> dict[str, Any]:
    assert isinstance(payload, CommentTask)
    work = pull_work(deps, ctx, payload, admission)
    team, task, thread = work.team, work.task, work.thread
    request = payload.request or payload.comment
    with running(work):
        if payload.wants_change:
            addressed = team.role(task.role or "backend_developer")
            fixer = addressed if addressed.writes_code else team.role("backend_developer")
            return pulls.fix_pull(
                team, task, thread, fixer, request, review_comment_id=work.review_comment_id
            )
        answerer = team.role(task.role or "project_manager")
        return pulls.answer(
            team, task, thread, answerer, request, review_comment_id=work.review_comment_id
        )
