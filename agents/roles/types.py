"""A role is data: who the agent is, what it may do, which model it uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Tier = Literal["pm", "lead", "executor"]
TIERS: tuple[Tier, ...] = ("pm", "lead", "executor")

# What a role may do on GitHub; each maps to one keyed GitHub tool.
GITHUB_ACTIONS = frozenset(
    {
        "comment",
        "react",
        "open_pull_request",
        "update_pull_request",
        "review",
        "check_run",
        "update_checklist",
    }
)


class RoleError(ValueError):
    """A role file or a repository's role override is invalid; the message says which and why."""


@dataclass(frozen=True)
class Role:
    name: str
    title: str
    tier: Tier
    system_prompt: str
    tools: tuple[str, ...]
    github_actions: tuple[str, ...]
    # None means the settings' default model (or `role_models[name]`).
    model: str | None = None
    # Whether the role writes code: a writer of a change never reviews it.
    writes_code: bool = False
    # One line on what the role does, shown to the roles that delegate to it or ask it.
    summary: str = ""

    @property
    def works_by_reading(self) -> bool:
        """Planners, reviewers and QA: reading the code is their progress."""
        return not self.writes_code or self.name == "qa"

    def may_delegate_to(self, other: Role) -> bool:
        """PM delegates to anyone else; leads to executors; executors to nobody."""
        return TIERS.index(other.tier) > TIERS.index(self.tier)

    def model_ref(self, default: str, role_models: Mapping[str, str] | None = None) -> str:
        """`provider:model`: the role's own, else the settings' per-role map, else default."""
        return ModelLayers(default, role_models or {}).choose(self).ref

    def allows(self, tool: str) -> bool:
        return tool in self.tools or tool in self.github_actions


# Where a role's model came from, highest precedence first.
ModelSource = Literal["project", "global", "role_file", "settings", "default"]


@dataclass(frozen=True)
class ModelChoice:
    ref: str  # `provider:model`
    source: ModelSource


@dataclass(frozen=True)
class ModelLayers:
    """Everything that may name a role's model; `choose` is the one place that decides
    which wins, for the API that lists the team and for the worker that runs it.

    `project` and `global_` are the `agents` rows (set through the API) of the task's
    project and of no project; they win over the role (its file, or the repository's
    config applied to it) because they are the operator's deliberate choice at run time.
    """

    default: str
    role_models: Mapping[str, str] = field(default_factory=dict)
    global_: Mapping[str, str] = field(default_factory=dict)
    project: Mapping[str, str] = field(default_factory=dict)

    def choose(self, role: Role) -> ModelChoice:
        if model := self.project.get(role.name):
            return ModelChoice(model, "project")
        if model := self.global_.get(role.name):
            return ModelChoice(model, "global")
        if role.model:
            return ModelChoice(role.model, "role_file")
        if model := self.role_models.get(role.name):
            return ModelChoice(model, "settings")
        return ModelChoice(self.default, "default")
