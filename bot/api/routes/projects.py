"""Projects: the repositories CodeMonkey works in (their team is in `agents.py`)."""

from __future__ import annotations

from sqlalchemy import select

from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.pagination import fetch_page
from bot.api.schemas import (
    PageQuery,
    ProjectCreate,
    ProjectOut,
    ProjectPage,
    ProjectUpdate,
)
from bot.api.types import Role
from storage.sql.models import Project


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


def operations() -> list[Operation]:
    project = "/projects/{project_id:int}"
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
    ]  # fmt: skip
