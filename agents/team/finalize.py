"""Finishing an issue: draft PR, QA check run, review with bounded fix rounds, summary.

QA, each review and each fix run as sub-tasks (rows in `tasks`, state running, owned by
the finalize task), so their steps persist and a crashed finalize resumes inside them.
"""

from __future__ import annotations

from typing import Any

from agents.githost import CheckRunOutput
from agents.roles.types import Role
from agents.runtime.loop import RunResult
from agents.team.deps import FlowError, IssueRef, TaskCancelledError, TeamDeps
from agents.team.flows import comment_once, run_task_agent, sync_checklist
from agents.team.github_tools import keyed
from agents.team.ports import Workspace
from storage.agent_steps import AgentStepStore
from storage.side_effects import SideEffects
from storage.sql.models import TaskState
from storage.task_graph import TaskSnapshot, group_tasks, load_task, mark_finished, mark_running
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


def _sub_task(
    deps: TeamDeps, parent: TaskSnapshot, kind: str, role: Role, title: str, key: str, **extra: Any
) -> TaskSnapshot:
    with deps.db.session() as session:
        task, created = create_task(
            session,
            NewTask(
                kind=kind,
                role=role.name,
                title=title,
                payload={**parent.payload, **extra},
                project_id=parent.project_id,
                parent_id=parent.id,
                group_key=parent.group_key,
                idempotency_key=key,
                paths=tuple(extra.get("paths", ())),
            ),
        )
        if created:
            mark_running(session, task.id, owner=f"task-{parent.id}")
        session.flush()
        return load_task(session, task.id)


def _run_sub(
    deps: TeamDeps, sub: TaskSnapshot, role: Role, issue: IssueRef, ws: Workspace, context: str
) -> RunResult:
    try:
        result = run_task_agent(deps, sub, role, issue, ws, context=(context,))
    except FlowError as exc:
        state = TaskState.CANCELLED if isinstance(exc, TaskCancelledError) else TaskState.FAILED
        with deps.db.session() as session:
            mark_finished(session, sub.id, state, error=str(exc))
        raise
    with deps.db.session() as session:
        mark_finished(session, sub.id, TaskState.SUCCEEDED, result={"summary": result.summary})
    return result


def _tool_data(deps: TeamDeps, task_id: int, tool: str) -> dict[str, Any] | None:
    """The data of the last successful call of `tool` in a task's run."""
    found = None
    for step in AgentStepStore(deps.db).steps(task_id):
        if step.kind == "tool_result" and step.payload["name"] == tool and step.payload["ok"]:
            found = dict(step.payload["data"])
    return found


def _commit(deps: TeamDeps, ws: Workspace, result: RunResult, message: str) -> None:
    if ws.commit(message, result.changed_paths) is not None:
        deps.push(ws)


def handle_finalize(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    ws = deps.workspaces(issue.branch, issue.base)
    effects = SideEffects(deps.db)
    group = issue.group_key
    with deps.db.session() as session:
        work = [t for t in group_tasks(session, group) if t.kind == "implement"]
    if not ws.has_changes_since_base():
        comment_once(
            deps,
            issue,
            f"{group}:nothing:{task.id}",
            task.id,
            "The team finished without changing any file; no pull request opened.",
        )
        return {"pull_request": None}
    deps.push(ws)
    summaries = "\n".join(f"- {t.title} ({t.role})" for t in work)
    pr = keyed(
        effects,
        f"{group}:pr",
        task.id,
        lambda: _open_pr(deps, issue, summaries),
    )[0]
    authors = {t.role for t in work if t.role and (t.result or {}).get("changed_paths")}

    qa_role = deps.role("qa")
    qa = _sub_task(deps, task, "qa", qa_role, f"QA for #{issue.number}", f"{group}:qa:{task.id}")
    qa_result = _run_sub(
        deps, qa, qa_role, issue, ws, f"Pull request #{pr['number']}:\n{summaries}"
    )
    _commit(deps, ws, qa_result, f"Tests for #{issue.number}")
    if qa_result.changed_paths:
        authors.add(qa_role.name)
    check = _tool_data(deps, qa.id, "check_run")
    if check is None:
        failed = qa_result.summary.upper().startswith("FAIL")
        check = keyed(
            effects,
            f"{group}:check:{task.id}",
            task.id,
            lambda: {
                "check_run_id": deps.host.create_check_run(
                    issue.repo,
                    name="CodeMonkey QA",
                    head_sha=ws.head_sha(),
                    status="completed",
                    conclusion="failure" if failed else "success",
                    output=CheckRunOutput("QA", qa_result.summary),
                ),
                "conclusion": "failure" if failed else "success",
            },
        )[0]

    reviewer = pick_reviewer(dict(deps.roles), authors)
    fixer = deps.role(
        next((t.role for t in work if t.role in authors), None) or "backend_developer"
    )
    all_paths = sorted({p for t in work for p in t.paths})
    verdict, rounds = "COMMENT", 0
    for round_no in range(deps.review_rounds + 1):
        rounds = round_no + 1
        review_task = _sub_task(
            deps,
            task,
            "review",
            reviewer,
            f"Review round {rounds} of #{pr['number']}",
            f"{group}:review:{round_no}:{task.id}",
        )
        _run_sub(
            deps,
            review_task,
            reviewer,
            issue,
            ws,
            f"Review pull request #{pr['number']} (branch {issue.branch} against {issue.base}).",
        )
        review = _tool_data(deps, review_task.id, "review") or {"event": "COMMENT", "body": ""}
        verdict = review["event"]
        if verdict != "REQUEST_CHANGES" or round_no == deps.review_rounds:
            break
        fix = _sub_task(
            deps,
            task,
            "fix",
            fixer,
            f"Fix review round {rounds}",
            f"{group}:fix:{round_no}:{task.id}",
            paths=all_paths,
        )
        comments = "\n".join(
            f"- {c['path']}:{c['line']}: {c['body']}" for c in review.get("comments", [])
        )
        fix_result = _run_sub(
            deps,
            fix,
            fixer,
            issue,
            ws,
            f"The reviewer requested changes:\n{review['body']}\n{comments}",
        )
        _commit(deps, ws, fix_result, f"Address review round {rounds} (#{issue.number})")

    approved = verdict != "REQUEST_CHANGES"
    if approved:
        keyed(
            effects,
            f"{group}:ready:{task.id}",
            task.id,
            lambda: _ready(deps, issue, int(pr["number"])),
        )
    spend = AgentStepStore(deps.db).group_spend(group)
    status = (
        "ready for review"
        if approved
        else (f"still a draft: changes were requested after {rounds} review rounds")
    )
    summary = (
        f"### Summary\n\nPull request {pr['url']} is {status}.\n\n{summaries}\n\n"
        f"QA: {check['conclusion']}. Review: {verdict.lower().replace('_', ' ')} by "
        f"{reviewer.title}.\n\nCost: ${spend.cost_usd:.2f} ({spend.tokens:,} tokens, "
        f"{spend.model_calls} model calls)."
    )
    comment_once(deps, issue, f"{group}:summary:{task.id}", task.id, summary)
    sync_checklist(deps, issue)
    return {
        "pull_request": pr["number"],
        "approved": approved,
        "qa": check["conclusion"],
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
