"""What the team flows need from the outside: git workspaces, push, models.

Locks are `storage.kv.base.LockManager`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from agents.git.process import GitLayout
from agents.roles.types import Role
from agents.runtime.ports import ModelClient


class Workspace(Protocol):
    """A checkout of one branch that agents edit and the flow commits."""

    @property
    def root(self) -> Path: ...

    @property
    def git_layout(self) -> GitLayout:
        """Where the checkout's git metadata is, as recorded by the service (host-side git
        and the sandbox use this, never the work tree's `.git` file)."""
        ...

    @property
    def branch(self) -> str: ...

    @property
    def base(self) -> str: ...

    @property
    def base_sha(self) -> str:
        """The commit the branch forked from its base; the change is everything after it."""
        ...

    def commit(self, message: str, paths: Sequence[str]) -> str | None:
        """Commit these paths; the new commit's sha, or None when nothing changed."""
        ...

    def head_sha(self) -> str: ...

    def has_changes_since_base(self) -> bool: ...


class WorkspaceProvider(Protocol):
    """Checkouts of an issue's branch: the branch's own (read by the tasks that do not edit,
    committed on by nobody but the integration) and one per editing task."""

    def __call__(self, branch: str, base: str) -> Workspace:
        """The checkout of `branch` (from `base` when it does not exist yet), up to date with
        where the branch is integrated."""
        ...

    def for_task(self, branch: str, base: str, task_id: int) -> Workspace:
        """A checkout of its own for one task: a task branch cut from `branch`'s current head
        (or `base`), whose `branch` is still `branch` (where its commits are integrated).
        A retried task gets its earlier checkout back."""
        ...

    def release(self, workspace: Workspace) -> None:
        """Remove a task's checkout and its task branch (after its commits were integrated)."""
        ...

    def discard_task(self, task_id: int) -> None:
        """Remove whatever checkout and task branch a task left here: it is finished (it
        succeeded, or failed for good), so nothing will continue there."""
        ...


class BranchRemote(Protocol):
    """Where an issue's branch is integrated: the remote repository's branch (so several
    machines, each with its own clone, meet there), or the local repository's own branch."""

    def fetch(self, layout: GitLayout, branch: str) -> str | None:
        """The branch's head there now (its objects fetched into `layout`'s repository);
        None when the branch does not exist yet."""
        ...

    def publish(self, layout: GitLayout, sha: str, branch: str, expected: str | None) -> bool:
        """Move the branch there to `sha` if it still is at `expected` (None: absent) and the
        move is a fast-forward; False when it was refused because the branch moved."""
        ...


# Which model a role runs on: the client and the provider's own model name.
ModelResolver = Callable[[Role], tuple[ModelClient, str]]
