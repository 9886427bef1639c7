"""Finishing an issue: draft PR, QA check run, review with bounded fix rounds, summary.

Each step is its own queued task, created by the step before it with a dependency on it,
so it becomes ready (and is enqueued by the runner) when that step succeeds:

    finalize (push, draft PR) -> qa (QA agent, the tests in the sandbox, check run)
      -> review 0 -> [fix 0 -> review 1 -> ...] -> the last review wraps up
         (ready for review, PM summary with cost, checklist)

Nothing is held `running` on behalf of another task, so the reaper's view of every row is
true: a crashed step is re-claimed and resumes from its persisted agent steps.
"""

from __future__ import annotations

from typing import Any

from agents.roles.types import Role
from agents.team.deps import FlowError, IssueRef, TeamDeps
from agents.team.environment import environment_plan, task_environment
from agents.team.flows import (
    comment_once,
    commit_task,
    push_once,
    run_task_agent,
    sync_checklist,
)
from agents.team.github_tools import keyed
from agents.team.locks import hold_paths
from agents.team.qa import run_tests
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
    with deps.db.session() as session:
        task, _ = create_task(
            session,
            NewTask(
                kind=kind,
                role=role,
                title=title[:512],
                payload={**parent.payload, **extra},
                project_id=parent.project_id,
                parent_id=parent.id,
                group_key=parent.group_key,
                idempotency_key=f"{parent.group_key}:{kind}:{round_no}:{parent.id}",
                paths=tuple(extra.get("paths", ())),
                depends_on=(parent.id,),
            ),
        )
        return task.id


def _work(deps: TeamDeps, group: str) -> list[TaskSnapshot]:
    with deps.db.session() as session:
        return [t for t in group_tasks(session, group) if t.kind == "implement"]


def _summaries(work: list[TaskSnapshot]) -> str:
    return "\n".join(f"- {t.title} ({t.role})" for t in work)


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
    push_once(deps, ws, task.id)
    summaries = _summaries(_work(deps, group))
    pr = keyed(
        SideEffects(deps.db), f"{group}:pr", task.id, lambda: _open_pr(deps, issue, summaries)
    )[0]
    qa = _next_step(deps, task, "qa", "qa", f"QA for #{issue.number}", pull_request=pr["number"])
    return {"pull_request": pr["number"], "url": pr["url"], "next": qa}


def handle_qa(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    ws = deps.workspaces(issue.branch, issue.base)
    role = deps.role(task.role)
    number = int(task.payload["pull_request"])
    summaries = _summaries(_work(deps, issue.group_key))
    result = run_task_agent(
        deps, task, role, issue, ws, context=(f"Pull request #{number}:\n{summaries}",)
    )
    commit_task(deps, ws, task, issue, f"Tests for #{issue.number}", result.changed_paths)
    plan = environment_plan(deps, ws.root)
    report = run_tests(
        deps.runner,
        ws.root,
        plan.test_command,
        deps.sandbox,
        environment=task_environment(deps, issue.repo, ws.root, task.id),
        statement=plan.statement(),
    )
    conclusion = report.conclusion
    check = keyed(
        SideEffects(deps.db),
        f"{issue.group_key}:check:{task.id}",
        task.id,
        lambda: {
            "check_run_id": deps.host.create_check_run(
                issue.repo,
                name="CodeMonkey QA",
                head_sha=ws.head_sha(),
                status="completed",
                conclusion=conclusion,
                output=report.check_output(),
            ),
            "conclusion": conclusion,
        },
    )[0]
    authors = _authors(deps, issue.group_key) | ({role.name} if result.changed_paths else set())
    reviewer = pick_reviewer(dict(deps.roles), authors)
    title = f"Review round 1 of #{number}"
    review = _next_step(deps, task, "review", reviewer.name, title, round=0, qa=check["conclusion"])
    return {
        "summary": result.summary,
        "qa": check["conclusion"],
        "annotations": len(report.annotations),
        "changed_paths": list(result.changed_paths),
        "next": review,
    }


def _authors(deps: TeamDeps, group: str) -> set[str]:
    with deps.db.session() as session:
        tasks = group_tasks(session, group)
    return {
        t.role
        for t in tasks
        if t.role and t.kind in ("implement", "qa", "fix") and (t.result or {}).get("changed_paths")
    }


def tool_data(deps: TeamDeps, task_id: int, tool: str) -> dict[str, Any] | None:
    """The data of the last successful call of `tool` in a task's run."""
    found = None
    for step in AgentStepStore(deps.db).steps(task_id):
        if step.kind == "tool_result" and step.payload["name"] == tool and step.payload["ok"]:
            found = dict(step.payload["data"])
    return found


def handle_review(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    ws = deps.workspaces(issue.branch, issue.base)
    number = int(task.payload["pull_request"])
    round_no = int(task.payload.get("round", 0))
    reviewer = deps.role(task.role)
    run_task_agent(
        deps,
        task,
        reviewer,
        issue,
        ws,
        context=(f"Review pull request #{number} (branch {issue.branch} against {issue.base}).",),
    )
    review = tool_data(deps, task.id, "review") or {"event": "COMMENT", "body": "", "comments": []}
    verdict = str(review["event"])
    if verdict == "REQUEST_CHANGES" and round_no < deps.review_rounds:
        work = _work(deps, issue.group_key)
        fixer = next((t.role for t in work if t.role in _authors(deps, issue.group_key)), None)
        comments = "\n".join(
            f"- {c['path']}:{c['line']}: {c['body']}" for c in review.get("comments", [])
        )
        fix = _next_step(
            deps,
            task,
            "fix",
            fixer or "backend_developer",
            f"Fix review round {round_no + 1}",
            round=round_no,
            paths=sorted({p for t in work for p in t.paths}),
            description=f"The reviewer requested changes:\n{review['body']}\n{comments}",
        )
        return {"verdict": verdict, "reviewer": reviewer.name, "next": fix}
    return {
        "verdict": verdict,
        "reviewer": reviewer.name,
        **_wrap_up(deps, task, issue, verdict, reviewer, round_no + 1),
    }


def handle_fix(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    ws = deps.workspaces(issue.branch, issue.base)
    role = deps.role(task.role)
    round_no = int(task.payload.get("round", 0))
    with hold_paths(
        deps.locks,
        issue.repo.full_name,
        task.paths,
        lease_seconds=deps.lock_lease_seconds,
        wait_seconds=deps.lock_wait_seconds,
    ):
        result = run_task_agent(deps, task, role, issue, ws)
        title = f"Address review round {round_no + 1}"
        sha = commit_task(deps, ws, task, issue, title, result.changed_paths)
    reviewer = pick_reviewer(dict(deps.roles), _authors(deps, issue.group_key) | {role.name})
    review = _next_step(
        deps, task, "review", reviewer.name, f"Review round {round_no + 2}", round=round_no + 1
    )
    return {
        "summary": result.summary,
        "changed_paths": list(result.changed_paths),
        "commit": sha,
        "next": review,
    }


def _wrap_up(
    deps: TeamDeps, task: TaskSnapshot, issue: IssueRef, verdict: str, reviewer: Role, rounds: int
) -> dict[str, Any]:
    group = issue.group_key
    number = int(task.payload["pull_request"])
    approved = verdict != "REQUEST_CHANGES"
    effects = SideEffects(deps.db)
    if approved:
        keyed(effects, f"{group}:ready", task.id, lambda: _ready(deps, issue, number))
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
        f"QA: {task.payload.get('qa', 'not run')}. Review: "
        f"{verdict.lower().replace('_', ' ')} by {reviewer.title}.\n\n"
        f"Cost: ${spend.cost_usd:.2f} ({spend.tokens:,} tokens, {spend.model_calls} model calls)."
    )
    comment_once(deps, issue, f"{group}:summary", task.id, summary)
    sync_checklist(deps, issue)
    return {
        "pull_request": number,
        "approved": approved,
        "review_rounds": rounds,
        "cost_usd": spend.cost_usd,
        "summary": summary,
    }


def _open_pr(deps: TeamDeps, issue: IssueRef, summaries: str) -> dict[str, Any]:
    pr = deps.host.open_pull_request(
        issue.repo,
        head=issue.branch,
        base=issue.base,
        title=issue.title,
        body=f"{summaries}\n\nCloses #{issue.number}",
        draft=True,
    )
    return {"number": pr.number, "url": pr.url}


def _ready(deps: TeamDeps, issue: IssueRef, number: int) -> dict[str, Any]:
    deps.host.update_pull_request(issue.repo, number, ready_for_review=True)
    return {"number": number}
