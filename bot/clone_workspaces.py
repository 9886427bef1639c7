"""The team's checkouts on a worker: one clone per repository (under the data dir), a
worktree per branch and one per editing task, and the remote repository's branch as the
place where tasks' commits are integrated (`agents.team.integration`).

Several workers (machines), each with its own clone, meet at the remote branch: each
fetches it, rebases its task's commits onto it and pushes; a push refused as not a
fast-forward fetches and rebases again. Fetch and push go to the URL the service knows,
with the installation's token in the git process's environment only.
"""

from __future__ import annotations

import threading
from pathlib import Path

from agents.git import remote as git_remote
from agents.git.process import GitLayout, git
from agents.githost import GitHost, RepoRef
from agents.team.forks import is_pull_head
from agents.team.gitworkspace import GitWorktree, GitWorktrees
from agents.team.ports import Workspace


class GitHubBranchRemote:
    """The `BranchRemote` of a repository on GitHub: its branches at the service's URL."""

    def __init__(self, host: GitHost, repo: RepoRef) -> None:
        self._host = host
        self._repo = repo

    def fetch(self, layout: GitLayout, branch: str) -> str | None:
        token = self._host.git_token(self._repo)
        return git_remote.fetch_branch(layout, token, branch, url=self._host.clone_url(self._repo))

    def publish(self, layout: GitLayout, sha: str, branch: str, expected: str | None) -> bool:
        # git refuses a push that is not a fast-forward of the branch: that is the check
        # against `expected` across machines (it also catches a branch created meanwhile).
        token = self._host.git_token(self._repo)
        url = self._host.clone_url(self._repo)
        return git_remote.publish_branch(layout, sha, branch, token, url=url)


def checkout_dirs(root: Path, repo: RepoRef) -> tuple[Path, Path]:
    """Where a repository's clone and its worktrees live under the workspaces root."""
    base = root / repo.owner / repo.name
    return base / "clone", base / "worktrees"


class CloneWorkspaces:
    """One clone per repository, a worktree per branch and per editing task.

    Before handing out a checkout it fetches, so a branch another worker pushed (an
    earlier attempt of this task, or an earlier task of the issue) is continued, not
    restarted.
    """

    def __init__(self, root: Path, host: GitHost, repo: RepoRef, always_protected: tuple[str, ...]):
        clone, worktrees = checkout_dirs(root, repo)
        self._dir = clone.parent
        self._host = host
        self._repo = repo
        self._lock = threading.Lock()
        # Lasts as long as the process: only the service's own protected paths (which do
        # not change while it runs) are bound here; a repository config's, which can change
        # between two tasks, come with each task (`TaskCheckouts`).
        self._worktrees = GitWorktrees(
            clone, worktrees, base_prefix="origin/", protected_paths=always_protected
        )

    def _sync(self) -> Path:
        """The clone, made on first use and fetched on every later one (holds the lock)."""
        clone = self._dir / "clone"
        token = self._host.git_token(self._repo)
        if not (clone / ".git").exists():
            self._dir.mkdir(parents=True, exist_ok=True)
            git_remote.clone(self._host.clone_url(self._repo), clone, token)
        else:
            git_remote.fetch(clone, token, url=self._host.clone_url(self._repo))
        return clone

    def _remote_ref(self, clone: Path, branch: str) -> str | None:
        """Where the remote has `branch` in the clone (fetched just now), or None."""
        remote = f"refs/remotes/origin/{branch}"
        if is_pull_head(branch):
            # A fork PR's head is only in the repository as `refs/pull/N/head`.
            remote = f"refs/{branch}"
            git_remote.fetch(
                clone,
                self._host.git_token(self._repo),
                f"+{remote}:{remote}",
                url=self._host.clone_url(self._repo),
            )
        found = git(clone, "rev-parse", "--verify", "--quiet", remote).returncode == 0
        return remote if found else None

    def snapshot(self, branch: str) -> Path:
        """The clone checked out (detached) at the remote's `branch`, for reading."""
        with self._lock:
            clone = self._sync()
            git(clone, "checkout", "--quiet", "--detach", f"origin/{branch}", check=True)
            return clone

    def __call__(self, branch: str, base: str) -> Workspace:
        with self._lock:
            clone = self._sync()
            remote = self._remote_ref(clone, branch)
            local = f"refs/heads/{branch}"
            has_local = git(clone, "rev-parse", "--verify", "--quiet", local).returncode == 0
            if remote is not None and not has_local:
                git(clone, "branch", "--no-track", branch, remote, check=True)
        ws = self._worktrees(branch, base)
        if remote is not None and self._behind(ws, remote):
            # Tasks integrate on the remote and nobody commits in this checkout, so it only
            # ever falls behind: catch up (a fork PR's head may also have been force-pushed).
            git(ws.root, "reset", "--hard", "--quiet", remote, layout=ws.git_layout, check=True)
        return ws

    @staticmethod
    def _behind(ws: GitWorktree, remote: str) -> bool:
        if is_pull_head(ws.branch):
            return True  # nothing of ours lives only on a fork PR's head
        ahead = git(ws.root, "rev-list", "--count", f"{remote}..HEAD", layout=ws.git_layout)
        # Commits only here (made before tasks had checkouts of their own) are kept: the
        # next push of this checkout integrates them.
        return ahead.returncode == 0 and ahead.stdout.strip() == "0"

    def for_task(
        self, branch: str, base: str, task_id: int, protected: tuple[str, ...]
    ) -> Workspace:
        """The task's own checkout, refusing commits to `protected` (the task's list)."""
        with self._lock:
            clone = self._sync()
            remote = self._remote_ref(clone, branch)
            return self._worktrees.for_task(
                branch,
                base,
                task_id,
                start=remote or f"refs/remotes/origin/{base}",
                protected_paths=protected,
            )

    def release(self, workspace: Workspace) -> None:
        self._worktrees.release(workspace)

    def discard_task(self, task_id: int) -> None:
        self._worktrees.discard_task(task_id)


class TaskCheckouts:
    """One task's `WorkspaceProvider`: the repository's clone (shared by every task), with
    the protected paths of the config the task was admitted with, so a config that changes
    `protected_paths` applies from the next task on. Only task checkouts are committed on
    (the branch's own checkout is read and integrated onto, never committed on)."""

    def __init__(self, clones: CloneWorkspaces, protected: tuple[str, ...]) -> None:
        self._clones = clones
        self.protected = protected

    def __call__(self, branch: str, base: str) -> Workspace:
        return self._clones(branch, base)

    def for_task(self, branch: str, base: str, task_id: int) -> Workspace:
        return self._clones.for_task(branch, base, task_id, self.protected)

    def release(self, workspace: Workspace) -> None:
        self._clones.release(workspace)

    def discard_task(self, task_id: int) -> None:
        self._clones.discard_task(task_id)
