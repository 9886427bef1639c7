from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import update

from agents.githost import RepoRef
from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from agents.roles import load_roles
from agents.runtime import BudgetLimits, LoopConfig
from agents.team.agent import AgentDeps
from agents.team.deps import TeamDeps
from agents.team.gitworkspace import GitWorktrees, LocalBranches
from agents.team.issue_flow import start_issue
from agents.team.kinds import handlers
from agents.team.local import LocalOptions, run_local
from agents.team.localhost import LocalHost
from agents.team.scheduler import DagScheduler
from agents.tools.defaults import workspace_registry
from storage.agent_steps import AgentStepStore
from storage.kv.memory import MemoryLockManager
from storage.sql.database import Database
from storage.sql.models import Task
from tests.agents.helpers import git, init_repo, scripted


def _created_ids(messages: list[ChatMessage]) -> list[int]:
    return [
        int(m)
        for msg in messages
        if msg.role == "tool"
        for m in re.findall(r"created task #(\d+)", msg.content)
    ]


def team_script(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    """The scripted team: what each role does, turn by turn."""
    turn = sum(1 for m in messages if m.role == "assistant")
    brief = messages[1].content
    role = options.role
    if role == "project_manager":
        plan = [
            call(
                "delegate",
                role="backend_developer",
                title="Add farewell",
                description="Add bye() to app.py",
                paths=["app.py"],
            ),
            call(
                "delegate",
                role="frontend_developer",
                title="Add page",
                description="Add web/index.html",
                paths=["web/index.html"],
            ),
        ]
        if turn < 2:
            return plan[turn]
        if turn == 2:
            first = _created_ids(messages)[0]
            return call(
                "delegate",
                role="backend_developer",
                title="Document farewell",
                description="Document bye() in docs/usage.md",
                paths=["docs/usage.md"],
                depends_on=[first],
            )
        return call("finish", summary="Three tasks: backend, page, docs after backend.")
    if role == "backend_developer" and "requested changes" in brief:
        if turn == 0:
            return call(
                "write_file", path="app.py", content="def bye() -> str:\n    return 'bye'\n"
            )
        return call("finish", summary="Added the return type.")
    if role == "backend_developer" and "Document farewell" in brief:
        if turn == 0:
            return call("write_file", path="docs/usage.md", content="Call bye().\n")
        return call("finish", summary="Documented bye().")
    if role == "backend_developer":
        if turn == 0:
            return call("ask", role="architect", question="Should bye() take a name?")
        if turn == 1:
            return call("write_file", path="app.py", content="def bye():\n    return 'bye'\n")
        return call("finish", summary="Added bye().")
    if role == "architect" and not options.tools:
        return "No, keep it without arguments."
    if role == "frontend_developer":
        if turn == 0:
            return call("write_file", path="web/index.html", content="<p>bye</p>\n")
        return call("finish", summary="Added the page.")
    if role == "qa":
        steps = [
            call("write_file", path="tests/test_app.py", content="def test_bye(): ...\n"),
            call("finish", summary="Added a test for bye()."),
        ]
        return steps[min(turn, 1)]
    if role == "code_reviewer":
        # The task's title: the brief's later context also names earlier rounds' tasks.
        first_round = "round 1" in brief.splitlines()[0]
        if turn == 0 and first_round:
            return call(
                "review",
                body="Add a return type.",
                event="REQUEST_CHANGES",
                comments=[
                    {
                        "path": "app.py",
                        "line": 1,
                        "body": "Annotate it.",
                        "suggestion": "def bye() -> str:",
                    }
                ],
            )
        if turn == 0:
            return call("review", body="Looks good.", event="APPROVE")
        return call("finish", summary="Reviewed.")
    raise AssertionError(f"unexpected call for role {role}: {brief[:80]}")


def test_local_run_ends_with_a_branch_holding_the_edits(database: Database, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    main_head = git(repo, "rev-parse", "HEAD")
    model = scripted(team_script)
    events: list[str] = []
    result = run_local(
        repo,
        "Say goodbye\n\nThe app should be able to say bye.",
        db=database,
        models=lambda role: (model, "scripted-1"),
        roles=load_roles(),
        data_dir=tmp_path / "data",
        options=LocalOptions(parallelism=2, on_record=lambda r: events.append(r.action)),
    )

    assert result.ok, result.summary
    assert result.branch == "codemonkey/1-say-goodbye"
    # The user's checkout is untouched; the work is on the branch.
    assert git(repo, "rev-parse", "HEAD") == main_head
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "show", f"{result.branch}:app.py") == "def bye() -> str:\n    return 'bye'\n"
    assert git(repo, "show", f"{result.branch}:web/index.html") == "<p>bye</p>\n"
    assert git(repo, "show", f"{result.branch}:docs/usage.md") == "Call bye().\n"
    assert git(repo, "show", f"{result.branch}:tests/test_app.py") == "def test_bye(): ...\n"
    log = git(repo, "log", "--format=%s", f"main..{result.branch}").splitlines()
    assert log[:2] == ["Address review round 1", "Tests for #1"]
    assert sorted(log[2:]) == ["Add farewell", "Add page", "Document farewell"]
    # Newest first: the docs task committed after the task it depends on.
    assert log.index("Document farewell") < log.index("Add farewell")

    by_title = {t.title: t for t in result.tasks}
    assert {t.state for t in result.tasks} == {"succeeded"}
    backend, docs = by_title["Add farewell"], by_title["Document farewell"]
    plan = by_title["Plan #1: Say goodbye"]
    # Delegated work waits for the plan (its delegator) and for what it names.
    assert docs.depends_on == (plan.id, backend.id)
    assert docs.started_at is not None and backend.finished_at is not None
    assert docs.started_at >= backend.finished_at

    # The docs task saw the earlier exchange between the developer and the architect.
    docs_brief = next(
        r.messages[1].content
        for r in model.requests
        if "Document farewell" in r.messages[1].content
    )
    assert "architect: No, keep it without arguments." in docs_brief

    actions = [r.action for r in result.records]
    assert actions.count("pull_request") == 1
    assert [r.details["event"] for r in result.records if r.action == "review"] == [
        "REQUEST_CHANGES",
        "APPROVE",
    ]
    review = next(r for r in result.records if r.action == "review")
    assert "```suggestion\ndef bye() -> str:\n```" in review.text
    check = next(r for r in result.records if r.action == "check_run")
    assert check.details["conclusion"] == "success"
    plan_comment = next(r for r in result.records if r.action == "comment")
    assert plan_comment.text.startswith("### Plan") and "- [ ] #" in plan_comment.text
    ready = [r for r in result.records if r.action == "update_pull_request"]
    assert ready and ready[-1].details["ready"] is True
    assert "Cost: $" in result.summary and "ready for review" in result.summary
    issue_bodies = [r.text for r in result.records if r.action == "issue_body"]
    assert "- [x] #" in issue_bodies[-1] and "- [ ]" not in issue_bodies[-1]
    assert events == actions
    assert result.cost_usd > 0


def test_local_run_reports_an_exhausted_budget(database: Database, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    model = scripted([call("list_files"), call("list_files", path=".")])
    result = run_local(
        repo,
        "Refactor everything",
        db=database,
        models=lambda role: (model, "scripted-1"),
        roles=load_roles(),
        data_dir=tmp_path / "data",
        options=LocalOptions(loop=LoopConfig(limits=BudgetLimits(max_steps=2))),
    )
    assert not result.ok
    assert "step budget" in result.summary
    assert [t.state for t in result.tasks] == ["failed"]
    stopped = [r for r in result.records if r.action == "comment"]
    assert len(stopped) == 1 and "step budget" in stopped[0].text
    assert git(repo, "branch", "--list", result.branch).strip() == result.branch


class WorkerDiedError(BaseException):
    """Stands for the worker process dying in the middle of a GitHub call."""


class HostThatDiesOnce(LocalHost):
    def __init__(self) -> None:
        super().__init__(issue_body="The app should be able to say bye.", default_branch="main")
        self.died = False

    def create_review(self, repo: RepoRef, number: int, **kwargs: Any) -> int:
        if not self.died:
            self.died = True
            raise WorkerDiedError
        return super().create_review(repo, number, **kwargs)


def test_crashed_finalize_resumes_without_repeating_side_effects_or_model_calls(
    database: Database, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    model = scripted(team_script)
    host = HostThatDiesOnce()
    worktrees = GitWorktrees(repo, tmp_path / "worktrees")
    deps = TeamDeps(
        agents=AgentDeps(database, lambda role: (model, "scripted-1")),
        host=host,
        roles=load_roles(),
        workspaces=worktrees,
        remote=LocalBranches(),
        locks=MemoryLockManager(),
        tools=workspace_registry(),
        host_refuses_self_review=False,
        review_rounds=1,
    )
    start_issue(
        database,
        repo=RepoRef("octo", "hello"),
        number=5,
        title="Say goodbye",
        body="The app should be able to say bye.",
        base="main",
    )
    group = "octo/hello#5"
    scheduler = DagScheduler(database, handlers(deps), parallelism=2)
    first = {t.kind: t for t in scheduler.run_group(group)}
    assert first["review"].state == "failed" and host.died
    # The queue retries the task: back to queued, same row, same recorded steps.
    with database.session() as session:
        session.execute(update(Task).where(Task.id == first["review"].id).values(state="queued"))
    final = scheduler.run_group(group)
    worktrees.close()

    assert {t.state for t in final} == {"succeeded"}
    actions = [r.action for r in host.records]
    # The checks run once before the first review and again after the review's fix.
    assert actions.count("pull_request") == 1 and actions.count("check_run") == 2
    assert [r.details["event"] for r in host.records if r.action == "review"] == [
        "REQUEST_CHANGES",
        "APPROVE",
    ]
    comments = [r.text for r in host.records if r.action == "comment"]
    assert sum(c.startswith("### Plan") for c in comments) == 1
    assert sum(c.startswith("### Summary") for c in comments) == 1
    # Every model request produced exactly one recorded response: none was asked twice.
    store = AgentStepStore(database)
    # (Requests without tools are `ask` answers, which are not agent steps.)
    asked = Counter(r.options.task_id for r in model.requests if r.options.tools)
    for task_id, count in asked.items():
        assert task_id is not None
        assert count == sum(1 for s in store.steps(task_id) if s.kind == "response")
    assert git(repo, "show", "codemonkey/5-say-goodbye:app.py").startswith("def bye() -> str:")
