from __future__ import annotations

from typing import Any

import pytest

from agents.roles import RoleError, apply_overrides, load_roles, parse_role

ROLE_NAMES = {
    "project_manager",
    "architect",
    "tech_lead",
    "frontend_developer",
    "backend_developer",
    "code_reviewer",
    "devops",
    "qa",
}


def test_every_shipped_role_loads_with_its_tier() -> None:
    roles = load_roles()
    assert set(roles) == ROLE_NAMES
    assert roles["project_manager"].tier == "pm"
    assert {roles["architect"].tier, roles["tech_lead"].tier} == {"lead"}
    executors = {n for n, r in roles.items() if r.tier == "executor"}
    assert executors == ROLE_NAMES - {"project_manager", "architect", "tech_lead"}
    for role in roles.values():
        assert "finish" in role.tools and role.model is None and len(role.system_prompt) > 100
    assert "review" in roles["code_reviewer"].github_actions
    assert not roles["code_reviewer"].writes_code
    assert "edit_file" not in roles["code_reviewer"].tools


def test_delegation_goes_down_the_hierarchy() -> None:
    roles = load_roles()
    pm, lead, dev = roles["project_manager"], roles["tech_lead"], roles["backend_developer"]
    assert pm.may_delegate_to(lead) and pm.may_delegate_to(dev) and lead.may_delegate_to(dev)
    assert not dev.may_delegate_to(lead) and not lead.may_delegate_to(roles["architect"])
    assert not dev.may_delegate_to(roles["qa"])


def test_repository_overrides_merge() -> None:
    roles = load_roles()
    merged = apply_overrides(
        roles,
        {
            "backend_developer": {
                "model": "openai:gpt-5",
                "extra_prompt": "We use Django.",
                "extra_tools": ["run_command", "lint"],
            },
            "qa": {"tools": ["read_file", "finish"], "github_actions": ["check_run"]},
        },
    )
    backend = merged["backend_developer"]
    assert backend.model == "openai:gpt-5"
    assert backend.system_prompt.endswith("\n\nWe use Django.")
    assert backend.tools[-1] == "lint" and backend.tools.count("run_command") == 1
    assert merged["qa"].tools == ("read_file", "finish")
    assert merged["qa"].github_actions == ("check_run",)
    assert roles["backend_developer"].model is None  # the shipped roles are unchanged
    assert apply_overrides(roles, None) == roles


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"wizard": {"model": "x"}}, "roles.wizard: no such role"),
        ({"qa": {"temperature": 1}}, "unknown key(s) ['temperature']"),
        ({"qa": {"github_actions": ["merge"]}}, "unknown GitHub action(s) ['merge']"),
        ({"qa": {"tools": "read_file"}}, "`tools` must be a list of snake_case names"),
        ({"qa": {"model": ""}}, "`model` must be a model name"),
        ({"qa": "fast"}, "must be a mapping"),
    ],
)
def test_bad_overrides_say_what_to_fix(override: dict[str, Any], message: str) -> None:
    with pytest.raises(RoleError) as error:
        apply_overrides(load_roles(), override)
    assert message in str(error.value)


def _role_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "docs_writer",
        "title": "Docs writer",
        "tier": "executor",
        "system_prompt": "You write documentation for the project, clearly and briefly.",
        "tools": ["read_file", "finish"],
    }
    data.update(changes)
    return data


def test_parse_role_accepts_a_valid_file() -> None:
    role = parse_role(_role_data(github_actions=["comment"]), "docs.yml")
    assert role.name == "docs_writer" and role.github_actions == ("comment",)
    assert role.allows("comment") and role.allows("read_file") and not role.allows("edit_file")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_role_data(tier="boss"), "`tier` must be one of ['pm', 'lead', 'executor']"),
        (_role_data(name="Docs Writer"), "`name` must be snake_case"),
        (_role_data(system_prompt="hi"), "`system_prompt` must be a paragraph"),
        (_role_data(color="red"), "unknown key(s) ['color']"),
        ({"name": "x_y"}, "missing key(s)"),
        (["not", "a", "mapping"], "must be a YAML mapping"),
        (_role_data(writes_code="yes"), "`writes_code` must be true or false"),
    ],
)
def test_parse_role_rejects_invalid_files(data: Any, message: str) -> None:
    with pytest.raises(RoleError) as error:
        parse_role(data, "docs.yml")
    assert message in str(error.value) and "docs.yml" in str(error.value)


def test_model_ref_prefers_the_role_then_settings_then_default() -> None:
    roles = apply_overrides(load_roles(), {"qa": {"model": "ollama:qwen3"}})
    assert roles["qa"].model_ref("anthropic:x", {"qa": "openai:y"}) == "ollama:qwen3"
    assert roles["devops"].model_ref("anthropic:x", {"devops": "openai:y"}) == "openai:y"
    assert roles["devops"].model_ref("anthropic:x") == "anthropic:x"


def test_every_alias_names_a_role_file_and_canonical_names_resolve_to_themselves() -> None:
    from agents.roles.names import ROLE_ALIASES, canonical_role, role_word

    assert set(ROLE_ALIASES.values()) <= ROLE_NAMES
    assert not set(ROLE_ALIASES) & ROLE_NAMES, "an alias must not shadow a role file's name"
    for name in ROLE_NAMES:
        assert canonical_role(name) == name == role_word(name.upper())
    assert role_word("Dev") == "backend_developer" and role_word("please") is None
