"""Git worktrees as team `Workspace`s: one per issue branch, and one per editing task.

Built on `agents.git.worktree` (branch naming, worktree creation, hook-free commits). A task
that edits works in a worktree of its own, on a task branch cut from the issue branch's
head, so no task's commands see another task's uncommitted edits; its commits reach the
issue branch through `agents.team.integration`. A commit includes only the task's paths,
and refuses protected ones.

Both checks run on what git actually staged, not on the path strings: a command can turn
a declared file into a directory full of other files (`.github` -> `.github/workflows/x`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from pathlib import Path

from agents.git.process import GitError, GitLayout, git, git_output
from agents.git.worktree import (
    GitIdentity,
    commit_staged,
    create_worktree,
    protected_by,
    remove_worktree,
    staged_paths,
)
from agents.git.worktree import TaskWorkspace as _TaskWorkspace
from agents.team import sweep as tasksweep
from agents.team.ports import Workspace

__all__ = ["GitWorktree", "GitWorktrees", "LocalBranches", "task_branch"]


def task_branch(branch: str, task_id: int) -> str:
    """The local branch a task works on before its commits are integrated onto `branch`."""
    return f"{branch}.task-{task_id}"


class GitWorktree:
    def __init__(
        self,
        workspace: _TaskWorkspace,
        base: str,
        *,
        identity: GitIdentity | None = None,
        protected_paths: tuple[str, ...] = (),
        target: str | None = None,
    ) -> None:
        self._ws = workspace
        self._layout = workspace.layout
        self._base = base
        # A task's worktree works on its own branch and is integrated onto `target`.
        self._target = target or workspace.branch
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
        """The issue's branch: where this checkout's commits end up."""
        return self._target

    @property
    def is_task_checkout(self) -> bool:
        return self._target != self._ws.branch

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
            raise GitError(
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
                raise GitError(self._refusal(refused, undeclared, sorted(declared)))
            commit_staged(root, layout, message, self._identity)
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
        return git_output(self._ws.path, "rev-parse", "HEAD", layout=self._layout).strip()

    def has_changes_since_base(self) -> bool:
        count = git_output(
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
            made = self._open.get(branch)
            if made is None:
                ws = create_worktree(
                    self._repo, self._directory, branch, base_ref=f"{self._prefix}{base}"
                )
                made = GitWorktree(ws, base, protected_paths=self._protected)
                self._open[branch] = made
        # Integration moves the branch under this checkout (in a local repository the task
        # branches are integrated onto it directly); nobody edits here, so catch up.
        git(made.root, "reset", "--hard", "--quiet", "HEAD", layout=made.git_layout, check=True)
        return made

    def for_task(
        self,
        branch: str,
        base: str,
        task_id: int,
        *,
        start: str | None = None,
        protected_paths: tuple[str, ...] | None = None,
    ) -> GitWorktree:
        """A worktree on the task's own branch, cut from `start` (default: the issue branch's
        head here, or the base when the branch does not exist yet). `protected_paths`: the
        task's own (its repository config's) in place of those given at construction."""
        name = task_branch(branch, task_id)
        with self._lock:
            if name in self._open:
                return self._open[name]
            base_ref = f"{self._prefix}{base}"
            if start is None:
                exists = git(self._repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
                start = f"refs/heads/{branch}" if exists.returncode == 0 else base_ref
            ws = create_worktree(self._repo, self._directory, name, base_ref=start)
            # Diffs are the whole change of the branch, as in the branch's checkout.
            fork_point = git(self._repo, "merge-base", base_ref, name).stdout.strip()
            ws = dataclasses.replace(ws, base_sha=fork_point or ws.base_sha)
            protected = self._protected if protected_paths is None else protected_paths
            made = GitWorktree(ws, base, protected_paths=protected, target=branch)
            self._open[name] = made
            return made

    def release(self, workspace: Workspace) -> None:
        """Remove a task's worktree and its task branch; the issue branch's stays."""
        if not isinstance(workspace, GitWorktree) or not workspace.is_task_checkout:
            return
        ws = workspace.task_workspace
        with self._lock:
            self._open.pop(ws.branch, None)
            # Not `git worktree remove`: it reads the checkout's `.git`, which the task's
            # commands could have rewritten, and refuses to remove such a checkout.
            tasksweep.discard(self._repo, self._directory, ws.path, ws.branch)

    def discard_task(self, task_id: int) -> None:
        """Remove a task's worktree and task branch wherever it is (the task is finished)."""
        with self._lock:
            for name in [n for n in self._open if tasksweep.task_of(n) == task_id]:
                del self._open[name]
            if (self._repo / ".git").is_dir():
                tasksweep.discard_task(self._repo, self._directory, task_id)

    def sweep(self, finished: tasksweep.FinishedTasks) -> list[int]:
        """Remove what finished tasks left behind (see `agents.team.sweep`); their ids."""
        with self._lock:
            removed = tasksweep.sweep(self._repo, self._directory, finished)
            for name in [n for n in self._open if tasksweep.task_of(n) in removed]:
                del self._open[name]
            return removed

    def close(self) -> None:
        """Remove the worktrees; their branches stay in the repository."""
        with self._lock:
            for worktree in self._open.values():
                remove_worktree(worktree.task_workspace)
            self._open.clear()


class LocalBranches:
    """The `BranchRemote` of a local repository: its own branches are where tasks integrate."""

    def fetch(self, layout: GitLayout, branch: str) -> str | None:
        ref = f"refs/heads/{branch}"
        found = git(layout.work_tree, "rev-parse", "--verify", "--quiet", ref, layout=layout)
        return found.stdout.strip() if found.returncode == 0 else None

    def publish(self, layout: GitLayout, sha: str, branch: str, expected: str | None) -> bool:
        # A compare-and-swap: refused when the branch is no longer where it was fetched.
        ref = f"refs/heads/{branch}"
        moved = git(layout.work_tree, "update-ref", ref, sha, expected or "", layout=layout)
        if moved.returncode == 0:
            return True
        if self.fetch(layout, branch) != expected:
            return False
        raise GitError(f"could not move {branch} to {sha}: {moved.stderr.strip()}")
