"""What the team flows need from the outside: locks, git workspaces, push, models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agents.roles.types import Role
from agents.runtime.ports import ModelClient


@dataclass(frozen=True)
class Lease:
    names: tuple[str, ...]
    token: str
    expires_at: float


class LockManager(Protocol):
    """Named locks with leases (in-process, or Redis across machines).

    `acquire_many` takes all names or none, waiting up to `wait_seconds`.
    """

    def acquire_many(
        self, names: Sequence[str], *, lease_seconds: float, wait_seconds: float
    ) -> Lease | None: ...

    def release(self, lease: Lease) -> bool: ...

    def extend(self, lease: Lease, *, lease_seconds: float) -> Lease | None: ...


class Workspace(Protocol):
    """A checkout of one branch that agents edit and the flow commits."""

    @property
    def root(self) -> Path: ...

    @property
    def branch(self) -> str: ...

    @property
    def base(self) -> str: ...

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
