"""A project's team: every role with the model it runs on there and where that model comes
from (`bot.agent_models` reads the rows, `ModelLayers.choose` decides, as the worker does)."""

from __future__ import annotations

from sqlalchemy import select

from agents.roles import Role as TeamRole
from agents.roles import apply_overrides, load_roles
from agents.roles.names import RoleNameError, canonical_role
from bot.agent_models import AgentRows, agent_rows
from bot.api.errors import NotFound
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.schemas import AgentList, AgentOut, AgentUpdate
from bot.api.types import Role
from storage.sql.models import Agent
from webhooks.config_cache import routing_config
from webhooks.repo_config import RepoConfig


def _out(call: Call, rows: AgentRows, role: TeamRole) -> AgentOut:
    settings = call.deps.settings
    choice = rows.layers(settings.default_model, settings.role_models).choose(role)
    own = rows.project.get(role.name)
    shared = rows.global_.get(role.name)
    chosen = own or shared
    return AgentOut(
        role=role.name,
        model=choice.ref,
        source=choice.source,
        settings=dict(chosen.settings) if chosen else {},
        inherited=own is None,
    )


def _team(call: Call) -> dict[str, TeamRole]:
    """The role files with the models the repository's `.github/codemonkey.yml` gives them
    (as a worker last read it), as the worker builds its team."""
    assert call.project is not None
    config = routing_config(call.project.config, defaults=RepoConfig())
    models = {
        name: {"model": entry.model}
        for name, entry in (config.roles if config else {}).items()
        if entry.model
    }
    return apply_overrides(load_roles(), models)


def _team_role(call: Call) -> TeamRole:
    """The role the path names (a short name such as `reviewer` works too), or 404 naming
    the valid roles."""
    try:
        name = canonical_role(str(call.path["role"]))
    except RoleNameError as exc:
        raise NotFound(str(exc)) from None
    return _team(call)[name]


def _rows(call: Call) -> AgentRows:
    assert call.project is not None
    return agent_rows(call.session, call.project.id)


def list_agents(call: Call) -> Reply:
    rows = _rows(call)
    roles = _team(call)
    return Reply(AgentList(items=[_out(call, rows, roles[name]) for name in sorted(roles)]))


def get_agent(call: Call) -> Reply:
    return Reply(_out(call, _rows(call), _team_role(call)))


def update_agent(call: Call) -> Reply:
    body: AgentUpdate = call.body
    project = call.project
    assert project is not None
    role = _team_role(call)
    agent = call.session.scalar(
        select(Agent).where(Agent.project_id == project.id, Agent.role == role.name)
    )
    if agent is None:
        shared = _rows(call).global_.get(role.name)
        # The model stays unset, so the project follows the global and default choices
        # until it names its own; the settings start from the global ones.
        agent = Agent(
            project_id=project.id,
            role=role.name,
            model=None,
            settings=dict(shared.settings) if shared else {},
        )
        call.session.add(agent)
    changes = body.model_dump(exclude_unset=True)
    if "model" in changes:
        agent.model = body.model
    if body.settings is not None:
        agent.settings = body.settings
    call.session.flush()
    return Reply(
        _out(call, _rows(call), role),
        audit_target=f"project:{project.id}/agent:{role.name}",
        audit_details={"changed": sorted(changes)},
    )


def operations() -> list[Operation]:
    agents = "/projects/{project_id:int}/agents"
    agent = agents + "/{role:str}"
    return [
        Operation("GET", agents, "agents.list",
                  "List every role of the team with its model here and where it comes from",
                  list_agents, Role.VIEWER, Scope.PROJECT, response=AgentList),
        Operation("GET", agent, "agents.get", "Get one role's model, its source and settings",
                  get_agent, Role.VIEWER, Scope.PROJECT, response=AgentOut),
        Operation("PATCH", agent, "agents.update",
                  "Set one role's model and settings for this project",
                  update_agent, Role.ADMIN, Scope.PROJECT, body=AgentUpdate, response=AgentOut),
    ]  # fmt: skip
