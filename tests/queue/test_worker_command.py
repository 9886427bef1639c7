"""`codemonkey worker` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis

from agents.githost import RepoRef
from agents.team.gitworkspace import GitWorktrees
from bot.cli import main
from bot.clone_workspaces import checkout_dirs
from bot.queue import builtin_handlers as builtin
from bot.queue.rq_backend import RQTaskQueue, run_task_job
from bot.workspace_sweep import workspaces_root
from storage.sql import migrate
from storage.sql.database import Database
from storage.sql.models import Task, TaskState
from storage.tasks import NewTask, TaskStore
from tests.agents.helpers import git, init_repo
from tests.conftest import REDIS_URL

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_worker_without_redis_explains_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CODEMONKEY_REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["worker", "--burst"]) == 2
    assert "CODEMONKEY_REDIS_URL is not set" in capsys.readouterr().err


def test_job_function_outside_a_worker_says_how_to_run_it() -> None:
    with pytest.raises(RuntimeError, match="codemonkey worker"):
        run_task_job(1)


def test_burst_worker_runs_tasks_on_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'worker.db'}")
    migrate.upgrade(database)
    store = TaskStore(database)
    ids = [store.create(NewTask(kind=builtin.NOOP))[0].id for _ in range(5)]
    name = f"burst-{uuid.uuid4().hex[:12]}"
    redis: Redis = Redis.from_url(REDIS_URL)
    queue = RQTaskQueue(redis, name)
    try:
        queue.enqueue(ids)
        queue.enqueue(ids)  # still waiting: no second entry
        assert queue.depth() == 5
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "CODEMONKEY_DATABASE_URL": str(database.url),
            "CODEMONKEY_REDIS_URL": REDIS_URL,
            "CODEMONKEY_QUEUE_NAME": name,
            "CODEMONKEY_DATA_DIR": str(tmp_path / "data"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot", "worker", "--burst"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert queue.depth() == 0
        assert [t.state for t in store.list()] == [TaskState.SUCCEEDED] * 5
    finally:
        queue.rq_queue.delete(delete_jobs=True)
        redis.close()
        database.dispose()


def test_a_starting_worker_removes_checkouts_finished_tasks_left(tmp_path: Path) -> None:
    # A worker died while its task ran; the reaper failed the task for good elsewhere. The
    # next worker started on this machine removes the checkout it left.
    database = Database(f"sqlite:///{tmp_path / 'worker.db'}")
    migrate.upgrade(database)
    task, _ = TaskStore(database).create(NewTask(kind="implement", role="backend_developer"))
    with database.session() as session:
        row = session.get(Task, task.id)
        assert row is not None
        row.state = TaskState.FAILED.value
    data = tmp_path / "data"
    clone, worktrees = checkout_dirs(workspaces_root(data), RepoRef("acme", "widgets"))
    init_repo(clone)
    left = GitWorktrees(clone, worktrees).for_task("codemonkey/3-x", "main", task.id)
    assert left.root.is_dir()
    name = f"burst-{uuid.uuid4().hex[:12]}"
    redis: Redis = Redis.from_url(REDIS_URL)
    try:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "CODEMONKEY_DATABASE_URL": str(database.url),
            "CODEMONKEY_REDIS_URL": REDIS_URL,
            "CODEMONKEY_QUEUE_NAME": name,
            "CODEMONKEY_DATA_DIR": str(data),
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot", "worker", "--burst"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert not left.root.exists()
        assert f".task-{task.id}" not in git(clone, "branch", "--list")
    finally:
        RQTaskQueue(redis, name).rq_queue.delete(delete_jobs=True)
        redis.close()
        database.dispose()
