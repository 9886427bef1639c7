"""Projects and their agents (a role's model and settings per project)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api.errors import FieldError, NotFound, ValidationFailed
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.pagination import fetch_page
from bot.api.schemas import (
    ROLE_NAME_PATTERN,
    AgentList,
    AgentOut,
    AgentUpdate,
    PageQuery,
    ProjectCreate,
    ProjectOut,
    ProjectPage,
    ProjectUpdate,
)
from bot.api.types import Role
from storage.sql.models import Agent, Project


def list_projects(call: Call) -> Reply:
    query: PageQuery = call.query
    statement = select(Project)
    if call.principal.project_id is not None:
        statement = statement.where(Project.id == call.principal.project_id)
    rows, next_cursor = fetch_page(
        call.session, statement, Project.id, limit=query.limit, cursor=query.cursor
    )
    return Reply(
        ProjectPage(items=[ProjectOut.model_validate(p) for p in rows], next_cursor=next_cursor)
    )


def create_project(call: Call) -> Reply:
    body: ProjectCreate = call.body
    project = Project(name=body.name, default_branch=body.default_branch, config=body.config)
    call.session.add(project)
    call.session.flush()
    return Reply(
        ProjectOut.model_validate(project),
        audit_target=f"project:{project.id}",
        audit_details={"name": project.name},
    )


def get_project(call: Call) -> Reply:
    return Reply(ProjectOut.model_validate(call.project))


def update_project(call: Call) -> Reply:
    body: ProjectUpdate = call.body
    project = call.project
    assert project is not None
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(project, name, value)
    call.session.flush()
    return Reply(
        ProjectOut.model_validate(project),
        audit_target=f"project:{project.id}",
        audit_details={"changed": sorted(changes)},
    )


def _agents(session: Session, project_id: int) -> dict[str, AgentOut]:
    """The project's agents, falling back to the global defaults for roles it does not set."""
    rows = session.scalars(
        select(Agent).where((Agent.project_id == project_id) | Agent.project_id.is_(None))
    )
    merged: dict[str, AgentOut] = {}
    for agent in sorted(rows, key=lambda a: a.project_id is not None):
        merged[agent.role] = AgentOut(
            role=agent.role,
            model=agent.model,
            settings=agent.settings,
            inherited=agent.project_id is None,
        )
    return merged


def _role(call: Call) -> str:
    role = str(call.path["role"])
    if not re.fullmatch(ROLE_NAME_PATTERN, role):
        raise ValidationFailed(
            [FieldError("role", "path", "a role name is lower case, e.g. `reviewer`")]
        )
    return role


def list_agents(call: Call) -> Reply:
    assert call.project is not None
    agents = _agents(call.session, call.project.id)
    return Reply(AgentList(items=[agents[role] for role in sorted(agents)]))


def get_agent(call: Call) -> Reply:
    assert call.project is not None
    role = _role(call)
    agent = _agents(call.session, call.project.id).get(role)
    if agent is None:
        raise NotFound(f"no agent settings for role {role!r}; set them with PATCH on this path")
    return Reply(agent)


def update_agent(call: Call) -> Reply:
    body: AgentUpdate = call.body
    project = call.project
    assert project is not None
    role = _role(call)
    agent = call.session.scalar(
        select(Agent).where(Agent.project_id == project.id, Agent.role == role)
    )
    if agent is None:
        default = _agents(call.session, project.id).get(role)
        agent = Agent(
            project_id=project.id,
            role=role,
            model=default.model if default else None,
            settings=dict(default.settings) if default else {},
        )
        call.session.add(agent)
    changes = body.model_dump(exclude_unset=True)
    if "model" in changes:
        agent.model = body.model
    if body.settings is not None:
        agent.settings = body.settings
    call.session.flush()
    return Reply(
        AgentOut(role=role, model=agent.model, settings=agent.settings, inherited=False),
        audit_target=f"project:{project.id}/agent:{role}",
        audit_details={"changed": sorted(changes)},
    )


def operations() -> list[Operation]:
    project = "/projects/{project_id:int}"
    agent = project + "/agents/{role:str}"
    return [
        Operation("GET", "/projects", "projects.list", "List the projects the key can see",
                  list_projects, Role.VIEWER, Scope.ANY, query=PageQuery, response=ProjectPage),
        Operation("POST", "/projects", "projects.create", "Register a project",
                  create_project, Role.ADMIN, Scope.GLOBAL, body=ProjectCreate,
                  response=ProjectOut, status=201),
        Operation("GET", project, "projects.get", "Get a project",
                  get_project, Role.VIEWER, Scope.PROJECT, response=ProjectOut),
        Operation("PATCH", project, "projects.update", "Change a project's branch, state or config",
                  update_project, Role.ADMIN, Scope.PROJECT, body=ProjectUpdate,
                  response=ProjectOut),
        Operation("GET", project + "/agents", "agents.list", "List the project's agents",
                  list_agents, Role.VIEWER, Scope.PROJECT, response=AgentList),
        Operation("GET", agent, "agents.get", "Get one role's model and settings",
                  get_agent, Role.VIEWER, Scope.PROJECT, response=AgentOut),
        Operation("PATCH", agent, "agents.update", "Set one role's model and settings",
                  update_agent, Role.ADMIN, Scope.PROJECT, body=AgentUpdate, response=AgentOut),
    ]  # fmt: skip
