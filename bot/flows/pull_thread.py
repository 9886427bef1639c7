"""What every pull request flow starts from: the thread it works on (the pull request, or
the issue a mention was made on) as the team sees it, and the team made from the config
the task was admitted with."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from agents.githost import RepoRef
from agents.team.deps import IssueRef, TeamDeps
from agents.team.environment import task_scratch
from agents.team.forks import pull_head_branch
from bot.flows.admission import Admission
from bot.flows.flow_deps import FlowDeps, translated_errors
from bot.queue.handlers import TaskContext, TaskInfo
from storage.task_graph import TaskSnapshot
from webhooks.task_payloads import (
    CheckFixTask,
    CommentTask,
    PullRequestTask,
    ReviewFixTask,
    TaskPayload,
)

PullPayload = PullRequestTask | ReviewFixTask | CheckFixTask | CommentTask


@dataclass(frozen=True)
class PullWork:
    """One pull request task, ready to run: its team, its row and its thread."""

    team: TeamDeps
    task: TaskSnapshot
    thread: IssueRef
    # The review comment a reply answers in place (a mention made in a review thread).
    review_comment_id: int | None = None


def pull_work(
    deps: FlowDeps, ctx: TaskContext, payload: TaskPayload, admission: Admission
) -> PullWork:
    assert isinstance(payload, PullPayload)
    # Work the team delegates from here inherits the task's admission.
    thread = dataclasses.replace(
        pull_thread(deps, ctx, payload, admission.setup.loaded.ref), admission=admission.record
    )
    team = deps.worker.team(thread.installation_id, thread.repo, admission.setup)
    comment_id = payload.review_comment_id if isinstance(payload, CommentTask) else None
    return PullWork(team, deps.snapshot(ctx), thread, comment_id)


@contextmanager
def running(work: PullWork) -> Iterator[None]:
    """Around the team's work: its errors as the queue's, in the task's scratch space."""
    with translated_errors(), task_scratch(work.team, work.task.id):
        yield


def pull_thread(
    deps: FlowDeps, ctx: TaskContext, payload: PullPayload, default_branch: str
) -> IssueRef:
    """The issue or pull request the task is about, as the team sees it."""
    repo, number = payload.repo_ref, payload.number
    head, base = payload.head_ref, None
    head_repo = None if isinstance(payload, CheckFixTask) else payload.head_repo
    is_pull = True
    if isinstance(payload, PullRequestTask):
        base = payload.base_ref
        title, text = payload.issue_title, payload.issue_body
    elif isinstance(payload, CommentTask):
        is_pull = payload.is_pull_request
        title, text = "", payload.comment or payload.request or ""
    else:
        title, text = "", payload.comment if isinstance(payload, ReviewFixTask) else ""
    if is_pull and (head is None or base is None):
        pr = deps.worker.hosts(payload.installation_id).pull_request(repo, number)
        head, base, head_repo = head or pr.head, base or pr.base, pr.head_repo
    if is_pull and head_repo and head_repo != repo.full_name:
        head = pull_head_branch(number)  # a fork's branch: only its PR ref is reachable
    return IssueRef(
        repo,
        number,
        title,
        text,
        str(head or default_branch),
        str(base or default_branch),
        payload.installation_id,
        group=ctx.task.group_key,
    )


def discard_checkout(deps: FlowDeps, task: TaskInfo, error: str) -> None:
    """A pull request task that may edit failed for good: remove the checkout it left (its
    failure is recorded on the task; nothing will continue in that checkout)."""
    deps.worker.discard_task(RepoRef.parse(str(task.payload["repo"])), task.id)
