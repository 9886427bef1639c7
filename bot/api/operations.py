"""The route table's vocabulary: an operation is one method on one path with its contract.

The HTTP plumbing (`dispatch.py`) and the OpenAPI description (`openapi.py`) are both built
from the same `Operation` records, so the documentation cannot drift from what is served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.api.types import ApiDeps, Principal, Role
from storage.sql.models import Project, Task


class Scope(StrEnum):
    """Where the required role must be held."""

    GLOBAL = "global"  # a global key (not tied to a project)
    PROJECT = "project"  # the project named by `{project_id}` in the path
    TASK = "task"  # the project of the task named by `{task_id}` in the path
    ANY = "any"  # any key; the handler narrows results to the projects the key reaches


@dataclass(frozen=True)
class Call:
    """One authorised request as a handler sees it, inside an open transaction."""

    session: Session
    principal: Principal
    deps: ApiDeps
    path: Mapping[str, Any]
    query: Any
    body: Any
    project: Project | None = None
    task: Task | None = None


@dataclass(frozen=True)
class Reply:
    """What a handler returns; the dispatcher audits writes and enqueues after the commit."""

    body: BaseModel | None = None
    audit_target: str = ""
    audit_details: Mapping[str, Any] = field(default_factory=dict)
    enqueue: tuple[int, ...] = ()


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # relative to /api/v1, in Starlette syntax (`{project_id:int}`)
    operation_id: str  # also the audit action, e.g. `tasks.cancel`
    summary: str
    handler: Handler
    role: Role
    scope: Scope
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200

    @property
    def is_write(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH", "DELETE"}

    @property
    def tag(self) -> str:
        return self.operation_id.split(".", 1)[0]
