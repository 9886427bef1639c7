"""Fixtures for the attack tests: a repository with a task worktree, the fake GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.git.worktree import TaskWorkspace, create_worktree
from agents.tools.base import SandboxSettings, ToolContext
from tests.agents.helpers import init_repo
from tests.fakegithub.fixtures import fake_github, github_env
from tests.github.conftest import host, tokens

__all__ = ["fake_github", "github_env", "host", "tokens"]


@pytest.fixture
def workspace(tmp_path: Path) -> TaskWorkspace:
    repo = init_repo(tmp_path / "repo")
    return create_worktree(repo, tmp_path / "trees", "codemonkey/1-attack")


@pytest.fixture
def ctx(workspace: TaskWorkspace) -> ToolContext:
    """The context a team task gets: the recorded git layout, bubblewrap, small limits."""
    return ToolContext(
        workspace=workspace.path,
        task_id=1,
        git=workspace.layout,
        sandbox=SandboxSettings(backend="bwrap", timeout_seconds=30, cpu_seconds=20),
    )
