"""A repository's clone lasts as long as the worker, but its config's `protected_paths`
are the current task's: an edit of the file between two tasks protects (and frees) paths
from the next task on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from agents.git.process import GitError
from agents.githost import RepoRef
from bot.settings import Settings
from bot.worker_deps import WorkerDeps
from storage.kv.memory import MemoryLockManager
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, world
from webhooks.repo_config import CONFIG_PATH

BRANCH = "codemonkey/9-protected"


def _no_model(*_: object) -> str:
    raise AssertionError("no model call expected")


def _commit(worker: WorkerDeps, task_id: int, path: str) -> str | None:
    """Task `task_id` commits `path` in its own checkout, with the config read for it."""
    host = worker.hosts(None)
    repo = RepoRef.parse(REPO)
    config = worker.repository(host, repo).config
    ws = worker.workspaces(host, repo, config).for_task(BRANCH, "main", task_id)
    (ws.root / path).parent.mkdir(parents=True, exist_ok=True)
    (ws.root / path).write_text(f"{path} from task {task_id}\n")
    return ws.commit(f"Change {path}\n", [path])


def test_a_config_edit_between_two_tasks_changes_what_the_next_task_may_commit(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, _no_model) as w:
        fake.commit_files(REPO, {CONFIG_PATH: "protected_paths: ['docs/**']\n"}, "Protect docs")
        host = w.host()
        worker = WorkerDeps(
            settings=Settings(data_dir=tmp_path / "data", protected_paths=[]),
            database=database,
            locks=MemoryLockManager(),
            hosts=lambda _installation: host,
            models=cast(Any, None),  # no model is asked
            workspace_root=tmp_path / "workspaces",
        )
        with pytest.raises(GitError, match="protected"):
            _commit(worker, 1, "docs/guide.md")
        assert _commit(worker, 2, "src/app.py") is not None

        # The file changes on the default branch: docs are free, src is protected.
        fake.commit_files(REPO, {CONFIG_PATH: "protected_paths: ['src/**']\n"}, "Protect src")
        assert _commit(worker, 3, "docs/guide.md") is not None
        with pytest.raises(GitError, match="protected"):
            _commit(worker, 4, "src/app.py")
