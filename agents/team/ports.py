"""What the team flows need from the outside: git workspaces, push, models.

Locks are `storage.kv.base.LockManager`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from agents.roles.types import Role
from agents.runtime.ports import ModelClient
from agents.tools.gitcli import GitLayout


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


# (branch, base) -> the workspace for that branch, created on first use.
WorkspaceProvider = Callable[[str, str], Workspace]
# Push a branch to the remote; the git host engineer's token-safe push in production.
Pusher = Callable[[Workspace], None]
# Which model a role runs on: the client and the provider's own model name.
ModelResolver = Callable[[Role], tuple[ModelClient, str]]
