"""Finishing an issue: draft PR, QA check run, review with bounded fix rounds, summary.

Each step is its own queued task, created by the step before it with a dependency on it,
so it becomes ready (and is enqueued by the runner) when that step succeeds:

    finalize (push, draft PR) -> qa (a QA agent when the plan had no QA task, then the
      tests in the sandbox, check run) -> [fix -> qa ...] while the check fails, at most
      `review_rounds` times -> review 0 -> [fix -> qa -> review 1 -> ...] -> the last review
      wraps up (ready for review, PM summary with cost and the QA outcome, checklist)

A failing check goes back to the developers with its output before anyone reviews, so the
reviewer sees the final outcome of the tests, not the first.

Nothing is held `running` on behalf of another task, so the reaper's view of every row is
true: a crashed step is re-claimed and resumes from its persisted agent steps.
"""

from __future__ import annotations

from typing import Any

from agents.githost import RepoRef
from agents.roles.types import Role
from agents.runtime.loop import RunResult
from agents.team.conflicts import hand_over_conflict
from agents.team.deps import FlowError, IssueRef, TeamDeps
from agents.team.edit_locks import editing
from agents.team.environment import run_checks
from agents.team.integration import IntegrationConflictError
from agents.team.issue_flow import (
    comment_once,
    commit_task,
    push_once,
    run_task_agent,
    sync_checklist,
    task_checkout,
)
from agents.team.issue_task import IssueTaskPayload, stage_of
from agents.team.qa import TestReport
from agents.team.review_brief import (
    diff_block,
    pull_request_block,
    qa_outcome,
    review_context,
    summaries_block,
)
from agents.team.review_verdict import NO_REVIEW, ReviewVerdict
from agents.team.test_fix import fix_brief, qa_line
from storage.agent_steps import AgentStepStore
from storage.side_effects import SideEffects
from storage.task_graph import TaskSnapshot, group_tasks
from storage.tasks import NewTask, create_task

REVIEWER_PREFERENCE = ("code_reviewer", "tech_lead")


def pick_reviewer(roles: dict[str, Role], authors: set[str]) -> Role:
    """The reviewer of a change is never a role that wrote part of it."""
    for name in REVIEWER_PREFERENCE:
        role = roles.get(name)
        if role is not None and name not in authors and "review" in role.github_actions:
            return role
    raise FlowError(
        f"no role may review this change: {sorted(authors)} wrote it and no other role has "
        "the `review` GitHub action; give one to another role in the repository config"
    )


def _next_step(
    deps: TeamDeps, parent: TaskSnapshot, kind: str, role: str, title: str, **extra: Any
) -> int:
    """Create the step after `parent` (once), ready when `parent` succeeds."""
    round_no = extra.get("round", 0)
    # A step's description is its own: a fix's brief must not become the next review's.
    inherited = stage_of(parent.payload).dump()
    del inherited["description"]
    # Validated as written: a stage's field that is misspelt fails here, not when read.
    payload = IssueTaskPayload.model_validate({**inherited, **extra}).dump()
    with deps.db.session() as session:
        task, _ = create_task(
            session,
            NewTask(
                kind=kind,
                role=role,
                title=title[:512],
                payload=payload,
                project_id=parent.project_id,
                parent_id=parent.id,
                group_key=parent.group_key,
                idempotency_key=f"{parent.group_key}:{kind}:{round_no}:{parent.id}",
                paths=tuple(extra.get("paths", ())),
                depends_on=(parent.id,),
            ),
        )
        return task.id


def _pull_request(task: TaskSnapshot) -> int:
    number = stage_of(task.payload).pull_request
    if number is None:
        raise FlowError(
            f"task {task.id} ({task.kind}) names no pull request; its steps are created by "
            "the issue's `finalize` task, which opens it"
        )
    return number


def _qa_report(stage: IssueTaskPayload) -> dict[str, Any] | None:
    return None if stage.qa_report is None else stage.qa_report.model_dump()


def _work(deps: TeamDeps, group: str) -> list[TaskSnapshot]:
    with deps.db.session() as session:
        return [t for t in group_tasks(session, group) if t.kind == "implement"]


def _summaries(work: list[TaskSnapshot]) -> str:
    """One line per task; the paths it edited beyond its plan are named."""
    lines = []
    for task in work:
        extra = (task.result or {}).get("extra_paths") or []
        also = f"; also edited {', '.join(extra)}" if extra else ""
        lines.append(f"- {task.title} ({task.role}){also}")
    return "\n".join(lines)


def handle_finalize(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    ws = deps.workspaces(issue.branch, issue.base)
    group = issue.group_key
    if not ws.has_changes_since_base():
        comment_once(
            deps,
            issue,
            f"{group}:nothing:{task.id}",
            task.id,
            "The team finished without changing any file; no pull request opened.",
        )
        return {"pull_request": None}
    push_once(deps, ws, task.id, issue.repo.full_name)
    summaries = _summaries(_work(deps, group))
    pr = SideEffects(deps.db).once(f"{group}:pr", task.id, lambda: _open_pr(deps, issue, summaries))
    qa = _next_step(deps, task, "qa", "qa", f"QA for #{issue.number}", pull_request=pr["number"])
    return {"pull_request": pr["number"], "url": pr["url"], "next": qa}


def _plan_has_qa(deps: TeamDeps, group: str) -> bool:
    return any(t.role == "qa" for t in _work(deps, group))


def _qa_agent(deps: TeamDeps, task: TaskSnapshot, issue: IssueRef) -> RunResult:
    """The QA agent adds tests for the change: it gets the PR diff and what the tasks did."""
    number = _pull_request(task)
    work = _work(deps, issue.group_key)
    with task_checkout(deps, issue, task) as ws:
        context = (
            f"Pull request #{number}:\n{_summaries(work)}",
            diff_block(ws),
            summaries_block(work),
        )
        role = deps.role(task.role)
        result = run_task_agent(deps, task, role, issue, ws, context=tuple(c for c in context if c))
        commit_task(deps, ws, task, issue, f"Tests for #{issue.number}", result.changed_paths)
    return result


def post_qa_check(
    deps: TeamDeps, repo: RepoRef, key: str, task_id: int, head: str, report: TestReport
) -> dict[str, Any]:
    """The QA outcome as a completed check run on `head`, posted once per key:
    {"check_run_id", "conclusion"}."""
    return SideEffects(deps.db).once(
        key,
        task_id,
        lambda: {
            "check_run_id": deps.host.create_check_run(
                repo,
                name="CodeMonkey QA",
                head_sha=head,
                status="completed",
                conclusion=report.conclusion,
                output=report.check_output(),
            ),
            "conclusion": report.conclusion,
        },
    )


def handle_qa(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    """Run the checks (after adding tests, only where the plan had no QA task); a failure
    goes back to the developers while fix rounds remain, then the change is reviewed."""
    issue = IssueRef.of(task)
    stage = stage_of(task.payload)
    number, round_no, fix_rounds = _pull_request(task), stage.round, stage.qa_fix_rounds
    result = None
    adds_tests = not stage.recheck and task.role in deps.roles
    if adds_tests and not _plan_has_qa(deps, issue.group_key):
        result = _qa_agent(deps, task, issue)
    # The branch's checkout, with every task's work (the QA agent's tests too) integrated.
    ws = deps.workspaces(issue.branch, issue.base)
    report = run_checks(deps, issue.repo, ws, task.id)
    head = ws.head_sha()
    key = f"{issue.group_key}:check:{task.id}"
    check = post_qa_check(deps, issue.repo, key, task.id, head, report)
    outcome = {
        "summary": "" if result is None else result.summary,
        "qa": check["conclusion"],
        "annotations": len(report.annotations),
        "changed_paths": [] if result is None else list(result.changed_paths),
        "qa_fix_rounds": fix_rounds,
    }
    # Only tests that ran and failed go back to the developers; a setup that failed or a
    # sandbox that could not start is reported (neutral) and reviewed as it is.
    if report.status == "failed" and fix_rounds < deps.review_rounds:
        fixer = _fixer(deps, issue.group_key)
        fix = _next_step(
            deps,
            task,
            "fix",
            fixer,
            f"Fix the failing tests of #{number} (QA fix round {fix_rounds + 1})",
            round=round_no,
            stage="qa",
            qa_fix_rounds=fix_rounds + 1,
            paths=_work_paths(deps, issue.group_key),
            description=fix_brief(
                report, head, fix_round=fix_rounds + 1, max_rounds=deps.review_rounds
            ),
        )
        return {**outcome, "next": fix}
    reviewer = pick_reviewer(dict(deps.roles), _authors(deps, issue.group_key))
    review = _next_step(
        deps,
        task,
        "review",
        reviewer.name,
        f"Review round {round_no + 1} of #{number}",
        round=round_no,
        qa=check["conclusion"],
        qa_fix_rounds=fix_rounds,
        qa_report={**qa_outcome(report, head), "fix_rounds": fix_rounds},
    )
    return {**outcome, "next": review}


def _work_paths(deps: TeamDeps, group: str) -> list[str]:
    return sorted({p for t in _work(deps, group) for p in t.paths})


def _fixer(deps: TeamDeps, group: str) -> str:
    """The role that fixes the change: one that wrote it, else any role that writes code."""
    authors = _authors(deps, group)
    for task in _work(deps, group):
        if task.role in authors and task.role in deps.roles and task.role != "qa":
            return task.role
    for name in ("backend_developer", *deps.roles):
        role = deps.roles.get(name)
        if role is not None and role.writes_code and role.tier == "executor":
            return name
    raise FlowError(
        "no role of the team writes code, so nobody can fix the change; give "
        "`writes_code: true` to a developer role"
    )


def _authors(deps: TeamDeps, group: str) -> set[str]:
    with deps.db.session() as session:
        tasks = group_tasks(session, group)
    return {
        t.role
        for t in tasks
        if t.role and t.kind in ("implement", "qa", "fix") and (t.result or {}).get("changed_paths")
    }


def handle_review(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    ws = deps.workspaces(issue.branch, issue.base)
    stage = stage_of(task.payload)
    number, round_no = _pull_request(task), stage.round
    reviewer = deps.role(task.role)
    opened = SideEffects(deps.db).recorded(f"{issue.group_key}:pr") or {}
    with deps.db.session() as session:
        tasks = group_tasks(session, issue.group_key)
    pull = pull_request_block(
        number,
        issue.branch,
        issue.base,
        str(opened.get("title", issue.title)),
        str(opened.get("body", "")),
    )
    result = run_task_agent(
        deps,
        task,
        reviewer,
        issue,
        ws,
        context=(
            f"Review pull request #{number} (branch {issue.branch} against {issue.base}).",
            *review_context(ws, pull_request=pull, tasks=tasks, qa=_qa_report(stage)),
        ),
    )
    review = ReviewVerdict.of(result) or NO_REVIEW
    verdict = review.event
    if review.requests_changes and round_no < deps.review_rounds:
        fix = _next_step(
            deps,
            task,
            "fix",
            _fixer(deps, issue.group_key),
            f"Fix review round {round_no + 1}",
            round=round_no,
            stage="review",
            paths=_work_paths(deps, issue.group_key),
            description=review.requested_changes(),
        )
        return {"verdict": verdict, "reviewer": reviewer.name, "next": fix}
    return {
        "verdict": verdict,
        "reviewer": reviewer.name,
        **_wrap_up(deps, task, issue, verdict, reviewer, round_no + 1),
    }


def handle_fix(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    """Fix what the QA check or the reviewer found; the checks run again after it."""
    issue = IssueRef.of(task)
    role = deps.role(task.role)
    stage = stage_of(task.payload)
    round_no = stage.round
    after_review = stage.stage == "review"
    with editing(deps, issue, task) as claims, task_checkout(deps, issue, task) as ws:
        result = run_task_agent(deps, task, role, issue, ws, claims=claims)
        title = f"Address review round {round_no + 1}" if after_review else "Fix the failing tests"
        try:
            sha = commit_task(deps, ws, task, issue, title, result.changed_paths)
        except IntegrationConflictError as conflict:
            # A person pushed to the branch meanwhile: the fix is redone on top of it.
            return {"summary": result.summary, **hand_over_conflict(deps, task, conflict)}
    # After a review's fix the next review is the next round; after a QA fix it is not.
    next_round = round_no + 1 if after_review else round_no
    qa = _next_step(
        deps,
        task,
        "qa",
        "qa",
        f"QA check after {task.title}",
        round=next_round,
        recheck=True,
    )
    return {
        "summary": result.summary,
        "changed_paths": list(result.changed_paths),
        "commit": sha,
        "next": qa,
    }


def _wrap_up(
    deps: TeamDeps, task: TaskSnapshot, issue: IssueRef, verdict: str, reviewer: Role, rounds: int
) -> dict[str, Any]:
    group = issue.group_key
    number = _pull_request(task)
    approved = verdict != "REQUEST_CHANGES"
    effects = SideEffects(deps.db)
    if approved:
        effects.once(f"{group}:ready", task.id, lambda: _ready(deps, issue, number))
    pr = effects.recorded(f"{group}:pr") or {"url": f"#{number}"}
    spend = AgentStepStore(deps.db).group_spend(group)
    status = (
        "ready for review"
        if approved
        else f"still a draft: changes were requested after {rounds} review rounds"
    )
    summary = (
        f"### Summary\n\nPull request {pr['url']} is {status}.\n\n"
        f"{_summaries(_work(deps, group))}\n\n"
        f"{qa_line(stage_of(task.payload))} Review: "
        f"{verdict.lower().replace('_', ' ')} by {reviewer.title}.\n\n"
        f"Cost: {spend.cost_text()} ({spend.tokens:,} tokens, {spend.model_calls} model calls; "
        f"{spend.cache_line()})."
    )
    comment_once(deps, issue, f"{group}:summary", task.id, summary)
    sync_checklist(deps, issue)
    return {
        "pull_request": number,
        "approved": approved,
        "review_rounds": rounds,
        "cost_usd": spend.cost_usd,
        "cache_read_tokens": spend.cache_read_tokens,
        "cache_write_tokens": spend.cache_write_tokens,
        "summary": summary,
    }


def _open_pr(deps: TeamDeps, issue: IssueRef, summaries: str) -> dict[str, Any]:
    body = f"{summaries}\n\nCloses #{issue.number}"
    pr = deps.host.open_pull_request(
        issue.repo, head=issue.branch, base=issue.base, title=issue.title, body=body, draft=True
    )
    return {"number": pr.number, "url": pr.url, "title": issue.title, "body": body}


def _ready(deps: TeamDeps, issue: IssueRef, number: int) -> dict[str, Any]:
    deps.host.update_pull_request(issue.repo, number, ready_for_review=True)
    return {"number": number}
