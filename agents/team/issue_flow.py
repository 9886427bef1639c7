"""The issue flows as task handlers `(task) -> result`, bound to `TeamDeps` by `handlers()`.

issue -> `plan` (PM delegates tasks: the DAG; plan comment with checklist) -> `design`
(architect's note, when planned) and `implement` (developers, under path locks, commits
on `codemonkey/<issue>-<slug>`) -> `finalize` (draft PR, QA check run, review and bounded
fix rounds, ready for review, PM summary with cost). Every GitHub side effect is keyed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any

from agents.git.worktree import BRANCH_PREFIX, branch_name, commit_message
from agents.githost import RepoRef
from agents.roles.types import Role
from agents.runtime.loop import RunResult
from agents.runtime.ports import CallContext, Tool
from agents.team import checklist
from agents.team.agent import ModelAnswerer, run_role
from agents.team.changes import commit_diff, diff_text_block
from agents.team.code_search import code_search_tool
from agents.team.conflicts import hand_over_conflict
from agents.team.deps import FlowError, IssueRef, TaskCancelledError, TeamDeps
from agents.team.diff_tool import diff_text, diff_tool
from agents.team.edit_checks import EditChecks
from agents.team.edit_locks import EditLocks, editing, extra_paths
from agents.team.environment import environment_plan, task_environment
from agents.team.github_tools import GitHubScope, GitHubTools
from agents.team.integration import IntegrationConflictError, integrate
from agents.team.issue_task import AdmissionRecord, stage_of
from agents.team.orientation import orientation
from agents.team.ports import Workspace
from agents.team.roster import roster_block, scope_note
from agents.team.toolbox import workspace_toolbox
from agents.team.tools import TeamScope, TeamTools
from agents.tools.base import ToolContext
from storage.conversations import get_or_create_conversation, list_messages
from storage.side_effects import SideEffects
from storage.sql.database import Database
from storage.sql.models import TaskState
from storage.task_graph import TaskSnapshot, add_dependencies, children, group_tasks, load_task
from storage.tasks import NewTask, create_task

WORK_KINDS = ("design", "implement")
# A dependency's diff in a developer's first request (about 4 characters per token).
DEPENDENCY_DIFF_TOKENS = 8_000


def start_issue(
    db: Database,
    *,
    repo: RepoRef,
    number: int,
    title: str,
    body: str,
    base: str,
    project_id: int | None = None,
    planner: str = "project_manager",
    installation_id: int | None = None,
    admission: AdmissionRecord | None = None,
) -> int:
    """Create the issue's plan task (once per issue); the caller enqueues the returned id.
    `admission` (the worker's check of the trigger) is inherited by every task of the issue."""
    issue = IssueRef(
        repo,
        number,
        title,
        body,
        branch_name(number, title),
        base,
        installation_id,
        admission=admission,
    )
    with db.session() as session:
        task, _ = create_task(
            session,
            NewTask(
                kind="plan",
                role=planner,
                title=f"Plan #{number}: {title}"[:512],
                payload=issue.payload(),
                project_id=project_id,
                group_key=issue.group_key,
                idempotency_key=f"{issue.group_key}:plan",
            ),
        )
        return task.id


def pull_request_number(deps: TeamDeps, issue: IssueRef, task: TaskSnapshot) -> int | None:
    """The task's pull request: named in its payload, or the one the issue's flow opened."""
    named = stage_of(task.payload).pull_request
    if named is not None:
        return named
    opened = SideEffects(deps.db).recorded(f"{issue.group_key}:pr")
    return None if opened is None else int(opened["number"])


def agent_tools(
    deps: TeamDeps,
    task: TaskSnapshot,
    role: Role,
    issue: IssueRef,
    ws: Workspace,
    claims: EditLocks | None = None,
) -> list[Tool[CallContext]]:
    # Roles that do not write code read and run, but their commands cannot edit the tree.
    sandbox = deps.sandbox if role.writes_code else replace(deps.sandbox, read_only_workspace=True)
    context = ToolContext(
        workspace=ws.root,
        task_id=task.id,
        git=ws.git_layout,
        protected_paths=deps.protected_paths,
        sandbox=sandbox,
        environment=task_environment(deps, issue.repo, ws, task.id),
    )
    checks = EditChecks(deps.runner, deps.lint_command)
    claim = None if claims is None else claims.claim
    files = workspace_toolbox(
        deps.tools, context, declared=task.paths, after_edit=checks, claim=claim
    )
    scope = TeamScope(task.id, role, issue.group_key, task.project_id, issue.payload())
    team = TeamTools(deps.db, scope, roles=deps.roles, answerer=ModelAnswerer(deps.agents.models))
    github = GitHubTools(
        deps.host,
        GitHubScope(
            issue.repo,
            issue.number,
            issue.branch,
            issue.base,
            partial(pull_request_number, deps, issue, task),
            ws.head_sha,
            own_pull_request=deps.host_refuses_self_review
            and issue.branch.startswith(BRANCH_PREFIX),
            diff=partial(diff_text, ws),
        ),
        SideEffects(deps.db),
    )
    search = code_search_tool(context, deps.code_index)
    return [*files, search, diff_tool(ws), *team.tools(), *github.tools()]


def run_task_agent(
    deps: TeamDeps,
    task: TaskSnapshot,
    role: Role,
    issue: IssueRef,
    ws: Workspace,
    *,
    context: tuple[str, ...] = (),
    claims: EditLocks | None = None,
) -> RunResult:
    brief = f"Task #{task.id}: {task.title}\n\n{stage_of(task.payload).description}".strip()
    brief += scope_note(role, task.paths)
    roster = roster_block(deps.roles, role)
    result = run_role(
        deps.agents,
        task_id=task.id,
        role=role,
        task=brief,
        tools=agent_tools(deps, task, role, issue, ws, claims),
        group_key=issue.group_key,
        project_id=task.project_id,
        context=(
            issue.fenced(),
            *team_conversation(deps, issue),
            *context,
            *roster,
            *orientation(deps, role, ws, f"{issue.title}\n{issue.body}\n{brief}"),
        ),
    )
    if result.status == "cancelled":
        raise TaskCancelledError(f"task #{task.id} was cancelled with /stop")
    if not result.ok:
        # The task fails for good; its failure report (agents.team.failures) tells the issue.
        raise FlowError(f"{role.title} stopped: {result.summary}")
    return result


def push_once(deps: TeamDeps, ws: Workspace, task_id: int, scope: str) -> str:
    """Integrate the checkout's head onto its branch (`agents.team.integration`), once per
    commit: a resumed task does not push again. The branch's new head."""
    sha = ws.head_sha()
    done = SideEffects(deps.db).once(
        f"push:{ws.branch}:{sha}", task_id, lambda: _push(deps, ws, scope)
    )
    return str(done["sha"])


def _push(deps: TeamDeps, ws: Workspace, scope: str) -> dict[str, Any]:
    head = integrate(deps.locks, deps.remote, ws, scope, wait_seconds=deps.lock_wait_seconds)
    return {"branch": ws.branch, "sha": head}


def commit_task(
    deps: TeamDeps,
    ws: Workspace,
    task: TaskSnapshot,
    issue: IssueRef,
    title: str,
    paths: tuple[str, ...],
) -> str | None:
    """Commit the task's paths and integrate them onto the issue's branch; the integrated
    commit's sha, or None when the task committed nothing."""
    body = f"Task #{task.id} ({task.role})."
    sha = ws.commit(commit_message(issue.number, title, body), paths)
    if sha is None and not ws.has_changes_since_base():
        return None
    head = push_once(deps, ws, task.id, issue.repo.full_name)
    return None if sha is None else head


@contextmanager
def task_checkout(deps: TeamDeps, issue: IssueRef, task: TaskSnapshot) -> Iterator[Workspace]:
    """The task's own checkout of the issue's branch, removed once the task is done with it
    (kept when the task may be retried, so the retry continues where it stopped)."""
    ws = deps.workspaces.for_task(issue.branch, issue.base, task.id)
    try:
        yield ws
    except FlowError:
        deps.workspaces.release(ws)  # failed for good: nothing will continue there
        raise
    deps.workspaces.release(ws)


def comment_once(deps: TeamDeps, issue: IssueRef, key: str, task_id: int, body: str) -> None:
    def perform() -> dict[str, Any]:
        comment = deps.host.comment(issue.repo, issue.number, body)
        return {"id": comment.id, "url": comment.url}

    SideEffects(deps.db).once(key, task_id, perform)


def sync_checklist(deps: TeamDeps, issue: IssueRef) -> None:
    """Rewrite the issue's checklist from the tasks' states (a no-op when unchanged)."""
    with deps.db.session() as session:
        tasks = [t for t in group_tasks(session, issue.group_key) if t.kind in WORK_KINDS]
    if not tasks:
        return
    items = [
        checklist.ChecklistItem(
            f"#{t.id} {t.title} ({t.role})", done=t.state == TaskState.SUCCEEDED.value
        )
        for t in tasks
    ]
    body = deps.host.issue_body(issue.repo, issue.number)
    updated = checklist.merge(body, items)
    if updated != body:
        deps.host.update_issue_body(issue.repo, issue.number, updated)


def _link_delegated_work(deps: TeamDeps, task: TaskSnapshot) -> None:
    """Work a lead delegated while running must finish before the issue is finalised."""
    with deps.db.session() as session:
        delegated = [c.id for c in children(session, task.id)]
        if not delegated:
            return
        for other in group_tasks(session, task.group_key or ""):
            if other.kind == "finalize" and other.state == TaskState.QUEUED.value:
                add_dependencies(session, other.id, delegated)


def team_conversation(deps: TeamDeps, issue: IssueRef, limit: int = 12) -> tuple[str, ...]:
    """The latest questions and answers exchanged by the team on this issue."""
    with deps.db.session() as session:
        conversation = get_or_create_conversation(
            session, kind="team", external_ref=issue.group_key
        )
        messages = list_messages(session, conversation, limit=limit)
    if not messages:
        return ()
    lines = [f"{m['author']}: {m['content']}" for m in messages]
    return ("What the team said about this issue so far:\n" + "\n".join(lines),)


def dependency_notes(deps: TeamDeps, task: TaskSnapshot, ws: Workspace) -> tuple[str, ...]:
    """What each task this one depends on reported, and the diff of its commit."""
    notes = []
    with deps.db.session() as session:
        dependencies = [load_task(session, dep_id) for dep_id in task.depends_on]
    for dep in dependencies:
        result = dep.result or {}
        summary = result.get("summary", "")
        note = f"Earlier task #{dep.id} ({dep.role}, {dep.title}) finished:\n{summary}"
        commit = result.get("commit")
        if isinstance(commit, str) and commit:
            note += "\n\n" + diff_text_block(
                commit_diff(ws.git_layout, commit),
                max_tokens=DEPENDENCY_DIFF_TOKENS,
                title=f"Its commit {commit[:7]} changed:",
            )
        notes.append(note)
    return tuple(notes)


def handle_plan(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    role = deps.role(task.role)
    ws = deps.workspaces(issue.branch, issue.base)
    result = run_task_agent(deps, task, role, issue, ws)
    with deps.db.session() as session:
        planned = children(session, task.id)
        finalize_id = None
        if planned:
            finalize, _ = create_task(
                session,
                NewTask(
                    kind="finalize",
                    role=role.name,
                    title=f"Pull request, QA and review for #{issue.number}",
                    payload=issue.payload(),
                    project_id=task.project_id,
                    parent_id=task.id,
                    group_key=issue.group_key,
                    idempotency_key=f"{issue.group_key}:finalize:{task.id}",
                    depends_on=tuple(t.id for t in planned),
                ),
            )
            finalize_id = finalize.id
    lines = [f"- [ ] #{t.id} {t.title} ({t.role})" for t in planned]
    body = f"### Plan\n\n{result.summary}"
    if lines:
        body += "\n\n" + "\n".join(lines)
    body += "\n\n" + environment_plan(deps, ws.root).statement()
    comment_once(deps, issue, f"{issue.group_key}:plan-comment:{task.id}", task.id, body)
    sync_checklist(deps, issue)
    return {
        "summary": result.summary,
        "tasks": [t.id for t in planned],
        "finalize": finalize_id,
    }


def handle_design(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    role = deps.role(task.role)
    ws = deps.workspaces(issue.branch, issue.base)
    result = run_task_agent(deps, task, role, issue, ws, context=dependency_notes(deps, task, ws))
    note = f"### Design note ({role.title})\n\n{result.summary}"
    comment_once(deps, issue, f"task:{task.id}:design-note", task.id, note)
    _link_delegated_work(deps, task)
    sync_checklist(deps, issue)
    return {"summary": result.summary, "role": role.name, "changed_paths": []}


def handle_implement(deps: TeamDeps, task: TaskSnapshot) -> dict[str, Any]:
    issue = IssueRef.of(task)
    role = deps.role(task.role)
    # The checkout is cut once the paths are held, so it holds what their last editor made.
    with editing(deps, issue, task) as claims, task_checkout(deps, issue, task) as ws:
        result = run_task_agent(
            deps, task, role, issue, ws, context=dependency_notes(deps, task, ws), claims=claims
        )
        try:
            sha = commit_task(deps, ws, task, issue, task.title, result.changed_paths)
        except IntegrationConflictError as conflict:
            handed = hand_over_conflict(deps, task, conflict)
            _link_delegated_work(deps, task)
            return {"summary": result.summary, "role": role.name, **handed}
    _link_delegated_work(deps, task)
    sync_checklist(deps, issue)
    return {
        "summary": result.summary,
        "role": role.name,
        "changed_paths": list(result.changed_paths),
        "extra_paths": extra_paths(task, result.changed_paths),
        "commit": sha,
    }
