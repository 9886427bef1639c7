"""Git worktrees as `Workspace`s: one per branch, shared by the tasks of an issue.

Tasks of one issue edit disjoint paths (path locks see to that) in the same worktree;
commits are serialised per worktree and only include the committing task's paths.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

COMMITTER = ("-c", "user.name=CodeMonkey", "-c", "user.email=codemonkey@localhost")


class GitError(Exception):
    """A git command failed; the message carries git's own explanation."""


def run_git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *COMMITTER, *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed in {repo}: {completed.stderr.strip()}")
    return completed.stdout


def branch_name(issue: int | str, title: str) -> str:
    """`codemonkey/<issue>-<slug>` with a short, ref-safe slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].rstrip("-") or "work"
    return f"codemonkey/{issue}-{slug}"


class GitWorktree:
    def __init__(self, root: Path, branch: str, base: str) -> None:
        self._root = root
        self._branch = branch
        self._base = base
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self._root

    @property
    def branch(self) -> str:
        return self._branch

    @property
    def base(self) -> str:
        return self._base

    def commit(self, message: str, paths: Sequence[str]) -> str | None:
        if not paths:
            return None
        with self._lock:
            run_git(self._root, "add", "-A", "--", *paths)
            staged = run_git(self._root, "diff", "--cached", "--name-only", "--", *paths)
            if not staged.strip():
                return None
            run_git(self._root, "commit", "-q", "-m", message, "--", *paths)
            return self.head_sha()

    def head_sha(self) -> str:
        return run_git(self._root, "rev-parse", "HEAD").strip()

    def has_changes_since_base(self) -> bool:
        count = run_git(self._root, "rev-list", "--count", f"{self._base}..HEAD").strip()
        return int(count) > 0


class GitWorktrees:
    """Creates (on first use) and removes the worktrees of a local repository."""

    def __init__(self, repo: Path, directory: Path) -> None:
        self._repo = repo
        self._directory = directory
        self._open: dict[str, GitWorktree] = {}
        self._lock = threading.Lock()

    def __call__(self, branch: str, base: str) -> GitWorktree:
        with self._lock:
            if branch in self._open:
                return self._open[branch]
            path = self._directory / branch.replace("/", "__")
            if path.exists():
                run_git(self._repo, "worktree", "remove", "--force", str(path))
            self._directory.mkdir(parents=True, exist_ok=True)
            exists = run_git(self._repo, "branch", "--list", branch).strip()
            if exists:
                run_git(self._repo, "worktree", "add", "-q", str(path), branch)
            else:
                run_git(self._repo, "worktree", "add", "-q", "-b", branch, str(path), base)
            self._open[branch] = GitWorktree(path, branch, base)
            return self._open[branch]

    def close(self) -> None:
        """Remove the worktrees; their branches stay in the repository."""
        with self._lock:
            for worktree in self._open.values():
                run_git(self._repo, "worktree", "remove", "--force", str(worktree.root))
            self._open.clear()
