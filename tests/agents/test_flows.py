from __future__ import annotations

from pathlib import Path

import pytest

from agents.githost import RepoRef
from agents.providers.scripted import ScriptedModel, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from agents.roles import load_roles
from agents.team.agent import AgentDeps
from agents.team.deps import TeamDeps
from agents.team.gitworkspace import GitWorktrees, LocalBranches
from agents.team.group_commands import stop_issue
from agents.team.issue_flow import handle_implement, start_issue
from agents.team.kinds import TEAM_KINDS, handlers
from agents.team.localhost import LocalHost
from agents.team.locks import PathsBusyError, hold_paths
from agents.team.scheduler import DagScheduler
from agents.tools.defaults import workspace_registry
from storage.kv.memory import MemoryLockManager
from storage.sql.database import Database
from storage.task_graph import group_tasks, load_task
from storage.tasks import NewTask, create_task
from tests.agents.helpers import git, init_repo, scripted

GROUP = "octo/hello#3"


def _deps(
    db: Database, repo: Path, tmp_path: Path, model: ScriptedModel, host: LocalHost
) -> tuple[TeamDeps, GitWorktrees]:
    worktrees = GitWorktrees(repo, tmp_path / "worktrees")
    deps = TeamDeps(
        agents=AgentDeps(db, lambda role: (model, "scripted-1")),
        host=host,
        roles=load_roles(),
        workspaces=worktrees,
        remote=LocalBranches(),
        locks=MemoryLockManager(),
        tools=workspace_registry(),
        host_refuses_self_review=False,
        lock_wait_seconds=0.05,
    )
    return deps, worktrees


def _start(db: Database) -> int:
    return start_issue(
        db, repo=RepoRef("octo", "hello"), number=3, title="Say bye", body="bye", base="main"
    )


def test_stop_cancels_running_and_waiting_work(database: Database, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")

    def script(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        turn = sum(1 for m in messages if m.role == "assistant")
        if options.role == "project_manager":
            if turn == 0:
                return call(
                    "delegate",
                    role="backend_developer",
                    title="Add bye",
                    description="d",
                    paths=["app.py"],
                )
            if turn == 1:
                first = int(messages[-1].content.split("#")[1].split(" ")[0])
                return call(
                    "delegate",
                    role="qa",
                    title="Test bye",
                    description="d",
                    paths=["tests/test_bye.py"],
                    depends_on=[first],
                )
            return call("finish", summary="Two tasks.")
        # The developer starts; meanwhile the user comments /stop on the issue.
        assert stop_issue(database, GROUP).startswith("Stopping")
        return call("write_file", path="app.py", content="def bye(): ...\n")

    model = scripted(script)
    host = LocalHost(issue_body="bye", default_branch="main")
    deps, worktrees = _deps(database, repo, tmp_path, model, host)
    _start(database)
    tasks = DagScheduler(database, handlers(deps)).run_group(GROUP)
    worktrees.close()

    states = {t.title: t.state for t in tasks}
    assert states == {
        "Plan #3: Say bye": "succeeded",
        "Add bye": "cancelled",
        "Test bye": "cancelled",
        "Pull request, QA and review for #3": "cancelled",
    }
    developer_calls = [r.options for r in model.requests if r.options.role == "backend_developer"]
    assert len(developer_calls) == 1  # no model call after /stop
    assert [r.action for r in host.records].count("pull_request") == 0
    # The edit made before the stop is not committed to the branch.
    assert git(repo, "log", "--format=%s", "main..codemonkey/3-say-bye") == ""


def test_busy_paths_make_the_task_wait_not_overwrite(database: Database, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    model = scripted([])
    host = LocalHost(issue_body="bye", default_branch="main")
    deps, worktrees = _deps(database, repo, tmp_path, model, host)
    plan = _start(database)
    with database.session() as session:
        plan_row = load_task(session, plan)
        task, _ = create_task(
            session,
            NewTask(
                kind="implement",
                role="backend_developer",
                title="Add bye",
                payload=plan_row.payload,
                group_key=GROUP,
                paths=("app.py",),
            ),
        )
        snapshot = load_task(session, task.id)
    other = hold_paths(deps.locks, "octo/hello", ["app.py"], lease_seconds=30, wait_seconds=0)
    with other, pytest.raises(PathsBusyError) as error:
        handle_implement(deps, snapshot)
    worktrees.close()
    assert "being edited by another task" in str(error.value)
    assert model.requests == []
    with database.session() as session:
        assert [t.state for t in group_tasks(session, GROUP)] == ["queued", "queued"]


def test_plan_without_work_posts_the_plan_and_creates_nothing(
    database: Database, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    model = scripted([call("finish", summary="Nothing to do: the app already says bye.")])
    host = LocalHost(issue_body="bye", default_branch="main")
    deps, worktrees = _deps(database, repo, tmp_path, model, host)
    plan = _start(database)

    with database.session() as session:
        snapshot = load_task(session, plan)
    result = handlers(deps)["plan"](snapshot)
    worktrees.close()
    assert result == {
        "summary": "Nothing to do: the app already says bye.",
        "tasks": [],
        "finalize": None,
    }
    assert host.records[0].text.startswith("### Plan\n\nNothing to do")
    assert set(handlers(deps)) == set(TEAM_KINDS)
