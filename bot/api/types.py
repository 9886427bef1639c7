"""Contracts of the HTTP API: roles, the caller, and the services it is handed.

The rate limiter and the context search are implemented elsewhere (`storage.kv`, the vector
index); the API depends only on these Protocols, so any matching implementation plugs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.queue.base import TaskQueue
from bot.settings import Settings
from storage.kv.base import RateLimiter
from storage.sql.database import Database


class Role(StrEnum):
    """What a key may do on a project; each role includes the ones below it."""

    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, required: Role) -> bool:
        return self.rank >= required.rank


_RANKS = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: one API key. A null project means the key is global."""

    key_id: int
    name: str
    role: Role
    project_id: int | None

    @property
    def is_global(self) -> bool:
        return self.project_id is None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"key:{self.key_id}:{self.name}"

    def role_on(self, project_id: int | None) -> Role | None:
        """The caller's role on a project, or None when the project is outside its reach."""
        if self.project_id is None:
            return self.role
        return self.role if project_id == self.project_id else None


class ContextSearch(Protocol):
    """Semantic search over a project's indexed context (code, docs, conversations)."""

    def __call__(self, project: str, kind: str, query: str, n: int) -> Sequence[dict[str, Any]]: ...


@dataclass(frozen=True)
class ApiDeps:
    """Everything the API routes need, passed in explicitly by the app factory."""

    database: Database
    settings: Settings
    rate_limiter: RateLimiter
    queue: TaskQueue
    search: ContextSearch
