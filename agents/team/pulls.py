"""Work on an existing pull request: review it, run its tests, push a fix, answer a question.

These run inside the task ingress created (`pr.review`, `pr.qa`, `pr.fix`, `check.fix`,
`mention.answer`, `/review`, `/test`), on the pull request's head branch. The agent's
steps are persisted under that task, so a crashed run resumes; every GitHub write is
keyed, so it happens once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agents.roles.types import Role
from agents.team.agent import ModelAnswerer
from agents.team.deps import IssueRef, TeamDeps
from agents.team.environment import run_checks
from agents.team.finalize import post_qa_check
from agents.team.fork_fix import offer_fork_change
from agents.team.forks import is_pull_head
from agents.team.issue_flow import commit_task, run_task_agent, task_checkout
from agents.team.issue_task import stage_of
from agents.team.review_brief import review_context
from agents.team.review_verdict import ReviewVerdict
from storage.side_effects import SideEffects
from storage.task_graph import TaskSnapshot


def _on_pull(task: TaskSnapshot, pr: IssueRef, description: str) -> TaskSnapshot:
    """The task as the team's steps read it: the pull request's thread as the issue, the
    request as the brief (the ingress payload stays the task's own record)."""
    stage = stage_of(pr.payload()).model_copy(
        update={"pull_request": pr.number, "description": description}
    )
    return dataclasses.replace(task, payload=stage.dump())


def review_pull(deps: TeamDeps, task: TaskSnapshot, pr: IssueRef, role: Role) -> dict[str, Any]:
    ws = deps.workspaces(pr.branch, pr.base)
    brief = f"Review pull request #{pr.number} (branch {pr.branch} against {pr.base})."
    # A person's pull request: its title and description are the thread shown above.
    pull = (
        f"Pull request #{pr.number} ({pr.branch} into {pr.base}) was opened by a person; its "
        "title and description are the text above."
    )
    result = run_task_agent(
        deps, _on_pull(task, pr, brief), role, pr, ws, context=review_context(ws, pull_request=pull)
    )
    review = ReviewVerdict.of(result)
    return {"summary": result.summary, "review": None if review is None else review.as_data()}


def check_pull(deps: TeamDeps, task: TaskSnapshot, pr: IssueRef) -> dict[str, Any]:
    """Run the repository's tests on the head branch; report them as a check run."""
    ws = deps.workspaces(pr.branch, pr.base)
    report = run_checks(deps, pr.repo, ws, task.id)
    head = ws.head_sha()
    check = post_qa_check(deps, pr.repo, f"{pr.group_key}:check:{head}", task.id, head, report)
    return {"conclusion": check["conclusion"], "annotations": len(report.annotations)}


def fix_pull(
    deps: TeamDeps,
    task: TaskSnapshot,
    pr: IssueRef,
    role: Role,
    request: str,
    *,
    review_comment_id: int | None = None,
) -> dict[str, Any]:
    """Change the head branch as asked, commit, push, and reply where it was asked."""
    with task_checkout(deps, pr, task) as ws:
        result = run_task_agent(deps, _on_pull(task, pr, request), role, pr, ws)
        if is_pull_head(pr.branch):  # a fork's pull request: never pushed to origin
            sha, text = offer_fork_change(deps, ws, task, pr, result.summary, result.changed_paths)
            reply = reply_once(deps, task, pr, text, review_comment_id=review_comment_id)
            return {"commit": sha, "summary": result.summary, "reply": reply}
        title = f"Address feedback on #{pr.number}"
        sha = commit_task(deps, ws, task, pr, title, result.changed_paths)
    text = result.summary if sha is None else f"Pushed {sha[:7]}: {result.summary}"
    reply = reply_once(deps, task, pr, text, review_comment_id=review_comment_id)
    return {"commit": sha, "summary": result.summary, "reply": reply}


def answer(
    deps: TeamDeps,
    task: TaskSnapshot,
    thread: IssueRef,
    role: Role,
    question: str,
    *,
    review_comment_id: int | None = None,
) -> dict[str, Any]:
    """The addressed role answers in the thread (one model call, recorded once)."""
    effects = SideEffects(deps.db)
    key = f"task:{task.id}:answer"
    recorded = effects.recorded(key)
    if recorded is None:
        text = ModelAnswerer(deps.agents.models)(
            role, f"{thread.fenced()}\n\nThe question for you:\n{question}", task.id
        )
        recorded = effects.record(key, {"text": text}, task_id=task.id)
    reply = reply_once(
        deps, task, thread, str(recorded["text"]), review_comment_id=review_comment_id
    )
    return {"answer": recorded["text"], "reply": reply}


def reply_once(
    deps: TeamDeps,
    task: TaskSnapshot,
    thread: IssueRef,
    body: str,
    *,
    review_comment_id: int | None = None,
) -> dict[str, Any]:
    def perform() -> dict[str, Any]:
        if review_comment_id is not None:
            made = deps.host.reply_to_review_comment(
                thread.repo, thread.number, review_comment_id, body
            )
        else:
            made = deps.host.comment(thread.repo, thread.number, body)
        return {"id": made.id, "url": made.url}

    return SideEffects(deps.db).once(f"task:{task.id}:reply", task.id, perform)
