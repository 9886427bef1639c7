"""Finding 3: `.github` written as a file, then replaced by a command with
`.github/workflows/pwn.yml`; committing the declared path `.github` must be refused."""

from __future__ import annotations

import pytest

from agents.git.process import GitError, git
from agents.git.worktree import TaskWorkspace
from agents.runtime.ports import CallContext
from agents.team.gitworkspace import GitWorktree
from agents.team.toolbox import workspace_toolbox
from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry

PROTECTED = (".github/workflows/**",)
CALL = CallContext(task_id=1, step=1, role="backend_developer", idempotency_key="k")


def test_a_file_turned_directory_cannot_smuggle_a_workflow(
    workspace: TaskWorkspace, ctx: ToolContext
) -> None:
    tools = {t.name: t for t in workspace_toolbox(workspace_registry(), ctx, declared=[".github"])}
    assert tools["write_file"].run(CALL, {"path": ".github", "content": "notes\n"}).ok
    swap = "rm .github && mkdir -p .github/workflows && echo 'on: push' > .github/workflows/pwn.yml"
    assert tools["run_command"].run(CALL, {"command": swap}).ok
    worktree = GitWorktree(workspace, "main", protected_paths=PROTECTED)
    head = worktree.head_sha()

    with pytest.raises(GitError, match=r"pwn\.yml"):
        worktree.commit("Add notes", [".github"])

    assert worktree.head_sha() == head
    staged = git(workspace.path, "diff", "--cached", "--name-only", layout=workspace.layout)
    assert staged.stdout == ""


def test_undeclared_files_under_a_declared_path_are_refused(workspace: TaskWorkspace) -> None:
    (workspace.path / "docs").mkdir()
    (workspace.path / "docs" / "other.md").write_text("not declared\n")
    worktree = GitWorktree(workspace, "main", protected_paths=PROTECTED)
    with pytest.raises(GitError, match="declared only"):
        worktree.commit("Add docs", ["docs"])
