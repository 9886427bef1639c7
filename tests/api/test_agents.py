"""A project's team through the API: every role, the model it runs on and where that comes
from, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agents.roles import load_roles
from bot.api.types import Role
from storage.sql.database import Database
from storage.sql.models import Agent, AuditEntry
from tests.api.support import ApiHarness, make_harness

DEFAULT = "anthropic:claude-sonnet-4-6"
ROLES = sorted(load_roles())


@pytest.fixture
def team_api(database: Database) -> Iterator[ApiHarness]:
    harness = make_harness(
        database, default_model=DEFAULT, role_models={"qa": "ollama:qwen2.5-coder:7b"}
    )
    with harness.client:
        yield harness


def _project(api: ApiHarness, headers: dict[str, str], **body: Any) -> int:
    response = api.client.post("/api/v1/projects", json={"name": "octo/a", **body}, headers=headers)
    assert response.status_code == 201, response.text
    project_id: int = response.json()["id"]
    return project_id


def _listed(api: ApiHarness, headers: dict[str, str], project: int) -> dict[str, dict[str, Any]]:
    response = api.client.get(f"/api/v1/projects/{project}/agents", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [a["role"] for a in items] == ROLES
    return {a["role"]: a for a in items}


def test_a_fresh_project_lists_every_role_and_where_its_model_comes_from(
    team_api: ApiHarness,
) -> None:
    admin = team_api.auth(team_api.key(Role.ADMIN))
    # The repository's config as a worker last read it names the reviewer's model.
    project = _project(team_api, admin, config={"roles": {"reviewer": {"model": "openai:gpt-4.1"}}})
    listed = _listed(team_api, admin, project)
    assert listed["qa"] == {
        "role": "qa",
        "model": "ollama:qwen2.5-coder:7b",
        "source": "settings",
        "settings": {},
        "inherited": True,
    }
    assert (listed["code_reviewer"]["model"], listed["code_reviewer"]["source"]) == (
        "openai:gpt-4.1",
        "role_file",
    )
    rest = {r: (a["model"], a["source"]) for r, a in listed.items()}
    del rest["qa"], rest["code_reviewer"]
    assert set(rest.values()) == {(DEFAULT, "default")}


def test_patch_makes_the_project_choose_and_global_rows_come_between(
    team_api: ApiHarness,
) -> None:
    admin = team_api.auth(team_api.key(Role.ADMIN))
    project = _project(team_api, admin)
    other = team_api.client.post("/api/v1/projects", json={"name": "octo/b"}, headers=admin).json()[
        "id"
    ]
    with team_api.database.session() as session:
        session.add(Agent(project_id=None, role="qa", model="openai:gpt-4o", settings={"t": 1}))
    base = f"/api/v1/projects/{project}/agents"

    qa = team_api.client.get(f"{base}/qa", headers=admin).json()
    assert (qa["model"], qa["source"], qa["inherited"], qa["settings"]) == (
        "openai:gpt-4o",
        "global",
        True,
        {"t": 1},
    )

    patched = team_api.client.patch(
        f"{base}/reviewer", json={"model": "openai:gpt-4.1"}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {
        "role": "code_reviewer",
        "model": "openai:gpt-4.1",
        "source": "project",
        "settings": {},
        "inherited": False,
    }
    listed = _listed(team_api, admin, project)
    assert (listed["code_reviewer"]["model"], listed["code_reviewer"]["source"]) == (
        "openai:gpt-4.1",
        "project",
    )
    # Another project is not touched.
    assert _listed(team_api, admin, other)["code_reviewer"]["source"] == "default"

    # Settings alone: the project keeps the global model, with its own settings.
    only_settings = team_api.client.patch(
        f"{base}/qa", json={"settings": {"max_steps": 30}}, headers=admin
    ).json()
    assert (only_settings["model"], only_settings["source"], only_settings["inherited"]) == (
        "openai:gpt-4o",
        "global",
        False,
    )
    assert only_settings["settings"] == {"max_steps": 30}
    # Unsetting the project's model falls back to what it inherits.
    reset = team_api.client.patch(f"{base}/reviewer", json={"model": None}, headers=admin)
    assert (reset.json()["model"], reset.json()["source"]) == (DEFAULT, "default")

    with team_api.database.session() as session:
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions.count("agents.update") == 3
        assert {a.role for a in session.query(Agent).filter(Agent.project_id == project)} == {
            "code_reviewer",
            "qa",
        }


def test_unknown_roles_and_malformed_models_say_what_is_valid(team_api: ApiHarness) -> None:
    admin = team_api.auth(team_api.key(Role.ADMIN))
    base = f"/api/v1/projects/{_project(team_api, admin)}/agents"
    for method in ("GET", "PATCH"):
        missing = team_api.client.request(
            method, f"{base}/poet", json={"model": "openai:gpt-4.1"}, headers=admin
        )
        assert missing.status_code == 404, missing.text
        message = missing.json()["error"]["message"]
        assert "unknown role 'poet'" in message and "code_reviewer" in message
    bare = team_api.client.patch(f"{base}/qa", json={"model": "gpt-4o"}, headers=admin)
    assert bare.status_code == 422, bare.text
    assert "provider:model" in bare.text
    with team_api.database.session() as session:
        assert session.query(Agent).count() == 0


def test_rows_saved_under_a_short_name_still_count(team_api: ApiHarness) -> None:
    admin = team_api.auth(team_api.key(Role.ADMIN))
    project = _project(team_api, admin)
    with team_api.database.session() as session:
        session.add(Agent(project_id=project, role="reviewer", model="openai:gpt-4o"))
        session.add(Agent(project_id=None, role="not_a_role", model="openai:gpt-4o"))
    listed = _listed(team_api, admin, project)
    assert (listed["code_reviewer"]["model"], listed["code_reviewer"]["source"]) == (
        "openai:gpt-4o",
        "project",
    )
