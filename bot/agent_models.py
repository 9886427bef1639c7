"""The `agents` rows (a role's model and settings set through `/api/v1`) as the layers that
`agents.roles.types.ModelLayers` chooses from: one query per project, read by the API when
it lists the team, by the worker once per task it builds, and by `/v1` once per agent chat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from agents.roles.names import role_word
from agents.roles.types import ModelLayers
from storage.sql.models import Agent, Project


@dataclass(frozen=True)
class AgentRow:
    model: str | None
    settings: dict[str, Any]


@dataclass(frozen=True)
class AgentRows:
    """The rows of one project and the global ones (no project), by canonical role name."""

    project: dict[str, AgentRow] = field(default_factory=dict)
    global_: dict[str, AgentRow] = field(default_factory=dict)

    def layers(self, default_model: str, role_models: Mapping[str, str]) -> ModelLayers:
        return ModelLayers(
            default=default_model,
            role_models=role_models,
            global_={r: row.model for r, row in self.global_.items() if row.model},
            project={r: row.model for r, row in self.project.items() if row.model},
        )


def _rows(session: Session, of_project: ColumnElement[bool]) -> AgentRows:
    found = AgentRows()
    rows = session.scalars(select(Agent).where(Agent.project_id.is_(None) | of_project))
    for agent in rows:
        # Rows written before role names were checked may use an alias (`reviewer`) or
        # name no role at all; the canonical spelling wins when both exist.
        role = role_word(agent.role)
        if role is None:
            continue
        scope = found.global_ if agent.project_id is None else found.project
        if role in scope and agent.role != role:
            continue
        scope[role] = AgentRow(agent.model, dict(agent.settings or {}))
    return found


def agent_rows(session: Session, project_id: int | None) -> AgentRows:
    """The rows of project `project_id` and the global ones (only those for None)."""
    if project_id is None:
        return _rows(session, false())
    return _rows(session, Agent.project_id == project_id)


def repository_agent_rows(session: Session, repository: str) -> AgentRows:
    """The rows for the project named `repository` (`owner/repo`), in one query; only the
    global rows when no project has that name yet."""
    return _rows(
        session, Agent.project_id.in_(select(Project.id).where(Project.name == repository))
    )
