"""Git worktrees as team `Workspace`s: one per branch, shared by the tasks of an issue.

Built on `agents.workspace` (branch naming, worktree creation, hook-free commits). Tasks
of one issue edit disjoint paths (the path locks see to that) in the same worktree, so a
commit here includes only the committing task's paths, and refuses protected ones.

Both checks run on what git actually staged, not on the path strings: a command can turn
a declared file into a directory full of other files (`.github` -> `.github/workflows/x`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from agents.tools.gitcli import GitError, GitLayout, git
from agents.workspace import (
    GitIdentity,
    WorkspaceError,
    create_worktree,
    protected_by,
    remove_worktree,
    staged_paths,
)
from agents.workspace import TaskWorkspace as _TaskWorkspace

__all__ = ["GitError", "GitWorktree", "GitWorktrees", "WorkspaceError", "run_git"]


def run_git(repo: Path, *args: str, layout: GitLayout | None = None) -> str:
    return git(repo, *args, layout=layout, check=True).stdout


class GitWorktree:
    def __init__(
        self,
        workspace: _TaskWorkspace,
        base: str,
        *,
        identity: GitIdentity | None = None,
        protected_paths: tuple[str, ...] = (),
    ) -> None:
        self._ws = workspace
        self._layout = workspace.layout
        self._base = base
        self._identity = identity or GitIdentity()
        self._protected = protected_paths
        self._lock = threading.Lock()

    @property
    def task_workspace(self) -> _TaskWorkspace:
        return self._ws

    @property
    def root(self) -> Path:
        return self._ws.path

    @property
    def git_layout(self) -> GitLayout:
        return self._layout

    @property
    def branch(self) -> str:
        return self._ws.branch

    @property
    def base(self) -> str:
        return self._base

    @property
    def base_sha(self) -> str:
        return self._ws.base_sha

    def commit(self, message: str, paths: Sequence[str]) -> str | None:
        if not paths:
            return None
        declared = set(paths)
        blocked = [p for p in paths if protected_by(p, self._protected)]
        if blocked:
            raise WorkspaceError(
                f"refusing to commit protected paths {blocked}; a maintainer must change them"
            )
        root, layout = self._ws.path, self._layout
        with self._lock:
            # Start from HEAD so the commit holds exactly what is staged and checked here.
            git(root, "reset", "--quiet", layout=layout, check=True)
            git(root, "add", "--all", "--", *paths, layout=layout, check=True)
            staged = staged_paths(root, layout)
            if not staged:
                return None
            refused = [n for n in staged if protected_by(n, self._protected)]
            undeclared = [n for n in staged if n not in declared]
            if refused or undeclared:
                git(root, "reset", "--quiet", layout=layout, check=True)
                raise WorkspaceError(self._refusal(refused, undeclared, sorted(declared)))
            who = self._identity
            git(
                root,
                "-c",
                f"user.name={who.name}",
                "-c",
                f"user.email={who.email}",
                "commit",
                "--quiet",
                "--no-verify",
                "--file",
                "-",
                layout=layout,
                input_text=message,
                check=True,
            )
            return self.head_sha()

    @staticmethod
    def _refusal(refused: list[str], undeclared: list[str], declared: list[str]) -> str:
        if refused:
            return (
                f"refusing to commit protected paths {refused}; revert them "
                "(a maintainer must make such changes) and commit again"
            )
        return (
            f"refusing to commit {undeclared}: the task declared only {declared}; remove "
            "those files or ask your lead to re-plan with the paths you need"
        )

    def head_sha(self) -> str:
        return run_git(self._ws.path, "rev-parse", "HEAD", layout=self._layout).strip()

    def has_changes_since_base(self) -> bool:
        count = run_git(
            self._ws.path, "rev-list", "--count", f"{self._ws.base_sha}..HEAD", layout=self._layout
        )
        return int(count.strip()) > 0


class GitWorktrees:
    """Creates (on first use) and removes the worktrees of a local repository.

    `base_prefix` turns a base branch name into the ref to start from ("origin/" for a
    clone of the remote, "" for a local repository).
    """

    def __init__(
        self,
        repo: Path,
        directory: Path,
        *,
        base_prefix: str = "",
        protected_paths: tuple[str, ...] = (),
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._prefix = base_prefix
        self._protected = protected_paths
        self._open: dict[str, GitWorktree] = {}
        self._lock = threading.Lock()

    @property
    def repo(self) -> Path:
        return self._repo

    def __call__(self, branch: str, base: str) -> GitWorktree:
        with self._lock:
            if branch in self._open:
                return self._open[branch]
            ws = create_worktree(
                self._repo, self._directory, branch, base_ref=f"{self._prefix}{base}"
            )
            made = GitWorktree(ws, base, protected_paths=self._protected)
            self._open[branch] = made
            return made

    def close(self) -> None:
        """Remove the worktrees; their branches stay in the repository."""
        with self._lock:
            for worktree in self._open.values():
                remove_worktree(worktree.task_workspace)
            self._open.clear()
