"""Roles loaded from the YAML files beside this module, with per-repository overrides.

`load_roles()` reads every `*.yml` here; `apply_overrides(roles, config)` merges a
repository's `roles:` section (model, extra_prompt, tools, extra_tools, github_actions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Any, cast

import yaml

from agents.providers.model_ids import ModelIdError, check_model_id
from agents.roles.types import GITHUB_ACTIONS, TIERS, Role, RoleError, Tier

__all__ = [
    "GITHUB_ACTIONS",
    "TIERS",
    "Role",
    "RoleError",
    "apply_overrides",
    "load_roles",
    "parse_role",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_ROLE_KEYS = {
    "name",
    "title",
    "tier",
    "system_prompt",
    "tools",
    "github_actions",
    "model",
    "writes_code",
    "summary",
}
_OVERRIDE_KEYS = {"model", "extra_prompt", "tools", "extra_tools", "github_actions"}


def _names(source: str, field: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and _NAME.match(v) for v in value):
        raise RoleError(f"{source}: `{field}` must be a list of snake_case names, got {value!r}")
    return tuple(value)


def _actions(source: str, value: Any) -> tuple[str, ...]:
    actions = _names(source, "github_actions", value)
    unknown = sorted(set(actions) - GITHUB_ACTIONS)
    if unknown:
        raise RoleError(
            f"{source}: unknown GitHub action(s) {unknown}; choose from {sorted(GITHUB_ACTIONS)}"
        )
    return actions


def _model(source: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RoleError(
            f"{source}: `model` must be a model name such as "
            f"'anthropic:claude-sonnet-4-6', or null for the default"
        )
    try:
        return check_model_id(value.strip())
    except ModelIdError as exc:
        raise RoleError(f"{source}: {exc}") from None


def parse_role(data: Any, source: str) -> Role:
    """Validate one role mapping (from a YAML file) and build the Role."""
    if not isinstance(data, dict):
        raise RoleError(f"{source}: a role file must be a YAML mapping")
    unknown = sorted(set(data) - _ROLE_KEYS)
    if unknown:
        raise RoleError(f"{source}: unknown key(s) {unknown}; allowed: {sorted(_ROLE_KEYS)}")
    missing = sorted({"name", "title", "tier", "system_prompt", "tools"} - set(data))
    if missing:
        raise RoleError(f"{source}: missing key(s) {missing}")
    name = data["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise RoleError(f"{source}: `name` must be snake_case, got {name!r}")
    if data["tier"] not in TIERS:
        raise RoleError(f"{source}: `tier` must be one of {list(TIERS)}, got {data['tier']!r}")
    prompt = data["system_prompt"]
    if not isinstance(prompt, str) or len(prompt.strip()) < 20:
        raise RoleError(f"{source}: `system_prompt` must be a paragraph of text")
    if not isinstance(data.get("writes_code", False), bool):
        raise RoleError(f"{source}: `writes_code` must be true or false")
    if not isinstance(data.get("summary", ""), str):
        raise RoleError(f"{source}: `summary` must be one line of text")
    return Role(
        name=name,
        title=str(data["title"]),
        tier=cast(Tier, data["tier"]),
        system_prompt=prompt.strip(),
        tools=_names(source, "tools", data["tools"]),
        github_actions=_actions(source, data.get("github_actions", [])),
        model=_model(source, data.get("model")),
        writes_code=bool(data.get("writes_code", False)),
        summary=" ".join(str(data.get("summary", "")).split()),
    )


def load_roles() -> dict[str, Role]:
    """Every role shipped with CodeMonkey, by name."""
    roles: dict[str, Role] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yml"):
            continue
        source = f"agents/roles/{entry.name}"
        try:
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise RoleError(f"{source}: not valid YAML: {exc}") from exc
        role = parse_role(data, source)
        if role.name in roles:
            raise RoleError(f"{source}: role {role.name!r} is defined twice")
        roles[role.name] = role
    if not any(r.tier == "pm" for r in roles.values()):
        raise RoleError("agents/roles: no role with tier 'pm'; the team needs a project manager")
    return roles


def apply_overrides(roles: Mapping[str, Role], config: Mapping[str, Any] | None) -> dict[str, Role]:
    """Merge a repository's role overrides: `{role: {model, extra_prompt, tools, ...}}`.

    `tools` replaces the role's tool list, `extra_tools` adds to it, `extra_prompt` is
    appended to the system prompt.
    """
    merged = dict(roles)
    for role_name, override in (config or {}).items():
        source = f"repository config roles.{role_name}"
        if role_name not in merged:
            raise RoleError(f"{source}: no such role; known roles: {sorted(merged)}")
        if not isinstance(override, Mapping):
            raise RoleError(f"{source}: must be a mapping of {sorted(_OVERRIDE_KEYS)}")
        unknown = sorted(set(override) - _OVERRIDE_KEYS)
        if unknown:
            raise RoleError(
                f"{source}: unknown key(s) {unknown}; allowed: {sorted(_OVERRIDE_KEYS)}"
            )
        role = merged[role_name]
        if "model" in override:
            role = replace(role, model=_model(source, override["model"]))
        if "extra_prompt" in override:
            extra = override["extra_prompt"]
            if not isinstance(extra, str):
                raise RoleError(f"{source}: `extra_prompt` must be text")
            role = replace(role, system_prompt=f"{role.system_prompt}\n\n{extra.strip()}")
        if "tools" in override:
            role = replace(role, tools=_names(source, "tools", override["tools"]))
        if "extra_tools" in override:
            extra_tools = _names(source, "extra_tools", override["extra_tools"])
            role = replace(
                role, tools=role.tools + tuple(t for t in extra_tools if t not in role.tools)
            )
        if "github_actions" in override:
            role = replace(role, github_actions=_actions(source, override["github_actions"]))
        merged[role_name] = role
    return merged
