"""A worker's start removes what finished tasks left in its clones (checkouts, git's records
of them, stray directories, task branches) and nothing of tasks still to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.githost import RepoRef
from agents.team.gitworkspace import GitWorktree, GitWorktrees, task_branch
from bot.clone_workspaces import checkout_dirs
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from bot.settings import load_settings
from bot.workspace_sweep import sweep_workspaces, workspaces_root
from storage.sql.database import Database
from storage.sql.models import Task, TaskState
from storage.tasks import NewTask, TaskStore
from tests.agents.helpers import git, init_repo

BRANCH = "codemonkey/7-sweep"


def _task(database: Database, state: TaskState) -> int:
    task, _ = TaskStore(database).create(NewTask(kind="implement", role="backend_developer"))
    with database.session() as session:  # the state a worker would have recorded
        row = session.get(Task, task.id)
        assert row is not None
        row.state = state.value
    return task.id


def _checkouts(clone: Path) -> set[str]:
    listed = git(clone, "worktree", "list", "--porcelain")
    return {
        line.removeprefix("branch refs/heads/")
        for line in listed.splitlines()
        if line.startswith("branch ") and ".task-" in line
    }


def _branches(clone: Path) -> set[str]:
    out = git(clone, "for-each-ref", "--format=%(refname:short)", "refs/heads")
    return {b for b in out.split() if ".task-" in b}


def _checkout(trees: GitWorktrees, task_id: int) -> GitWorktree:
    ws = trees.for_task(BRANCH, "main", task_id)
    assert isinstance(ws, GitWorktree)
    (ws.root / "work.txt").write_text(f"half-made edit of task {task_id}\n")
    return ws


def test_a_worker_start_sweeps_only_finished_tasks(database: Database, tmp_path: Path) -> None:
    root = workspaces_root(tmp_path / "data")
    clone, worktrees = checkout_dirs(root, RepoRef("acme", "widgets"))
    init_repo(clone)
    trees = GitWorktrees(clone, worktrees)
    succeeded = _task(database, TaskState.SUCCEEDED)
    failed = _task(database, TaskState.FAILED)
    running = _task(database, TaskState.RUNNING)
    waiting = _task(database, TaskState.QUEUED)  # e.g. waiting for its retry
    crashed = _task(database, TaskState.FAILED)
    made = {t: _checkout(trees, t) for t in (succeeded, failed, running, waiting, crashed)}
    # A checkout whose directory vanished (git still records it), a stray directory git
    # does not know, and a task branch without a checkout, all of finished tasks.
    shutil.rmtree(made[crashed].root)
    stray_task = _task(database, TaskState.CANCELLED)
    stray = worktrees / task_branch(BRANCH, stray_task).replace("/", "-")
    (stray / "sub").mkdir(parents=True)
    orphan_task = _task(database, TaskState.SUCCEEDED)
    git(clone, "branch", task_branch(BRANCH, orphan_task), "main")
    unknown = 10_000  # no such task: nothing will ever continue it
    git(clone, "branch", task_branch(BRANCH, unknown), "main")

    removed = sweep_workspaces(root, database)

    gone = {succeeded, failed, crashed, stray_task, orphan_task, unknown}
    assert removed == {"acme/widgets": sorted(gone)}
    kept = {task_branch(BRANCH, t) for t in (running, waiting)}
    assert _checkouts(clone) == kept
    assert _branches(clone) == kept
    assert sorted(p.name for p in worktrees.iterdir()) == sorted(b.replace("/", "-") for b in kept)
    # The kept checkouts still hold their tasks' edits, for the tasks to continue.
    for t in (running, waiting):
        assert (made[t].root / "work.txt").read_text() == f"half-made edit of task {t}\n"
    again = GitWorktrees(clone, worktrees).for_task(BRANCH, "main", waiting)
    assert again.root == made[waiting].root
    assert sweep_workspaces(root, database) == {}


def test_the_sweep_does_not_follow_a_symlink_planted_in_a_checkout(
    database: Database, tmp_path: Path
) -> None:
    # A task's commands can leave a symlink to anywhere in their checkout; removing the
    # checkout must remove the link, not what it points at.
    root = workspaces_root(tmp_path / "data")
    clone, worktrees = checkout_dirs(root, RepoRef("acme", "widgets"))
    init_repo(clone)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep\n")
    done = _task(database, TaskState.FAILED)
    ws = _checkout(GitWorktrees(clone, worktrees), done)
    (ws.root / "link").symlink_to(precious, target_is_directory=True)

    assert sweep_workspaces(root, database) == {"acme/widgets": [done]}

    assert not ws.root.exists()
    assert (precious / "keep.txt").read_text() == "keep\n"


def test_embedded_workers_sweep_before_they_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CODEMONKEY_REDIS_URL", raising=False)
    monkeypatch.delenv("CODEMONKEY_DATABASE_URL", raising=False)
    settings = load_settings(data_dir=tmp_path / "data")
    services = build_services(settings, register_handlers)
    try:
        clone, worktrees = checkout_dirs(
            workspaces_root(settings.data_dir), RepoRef("acme", "widgets")
        )
        init_repo(clone)
        done = _task(services.database, TaskState.SUCCEEDED)
        ws = _checkout(GitWorktrees(clone, worktrees), done)

        services.start()

        assert not ws.root.exists()
        assert _branches(clone) == set()
    finally:
        services.close()
