"""The auth pieces the OpenAI-compatible `/v1` routes build on: keys and project choice."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.api.auth import authenticate, resolve_chat_project, split_model_project
from bot.api.errors import NotFound, Unauthenticated, ValidationFailed
from bot.api.keys import create_key
from bot.api.rest_app import build_api_routes
from bot.api.types import ApiDeps, Role
from bot.settings import Settings
from storage.kv.memory import MemoryRateLimiter
from storage.sql.database import Database
from storage.sql.models import AuditEntry, Project
from tests.api.support import ApiHarness, RecordingQueue


def test_split_model_project() -> None:
    assert split_model_project("codemonkey/reviewer@octo/app") == (
        "codemonkey/reviewer",
        "octo/app",
    )
    assert split_model_project("codemonkey/reviewer") == ("codemonkey/reviewer", None)
    assert split_model_project("codemonkey/qa@") == ("codemonkey/qa@", None)


def test_resolve_chat_project(api: ApiHarness) -> None:
    with api.database.session() as session:
        a, b = Project(name="octo/a"), Project(name="octo/b")
        session.add_all([a, b])
        session.flush()
        a_id, b_id = a.id, b.id
    global_key = authenticate(api.database, f"Bearer {api.key(Role.ADMIN)}")
    a_key = authenticate(api.database, f"Bearer {api.key(Role.VIEWER, a_id)}")
    with api.database.session() as session:
        project, model = resolve_chat_project(
            session, global_key, header="octo/b", model="codemonkey/pm"
        )
        assert (project and project.id, model) == (b_id, "codemonkey/pm")
        project, model = resolve_chat_project(
            session, global_key, header=None, model="codemonkey/pm@octo/a"
        )
        assert (project and project.id, model) == (a_id, "codemonkey/pm")
        assert resolve_chat_project(session, global_key, header=" ", model="codemonkey/pm") == (
            None,
            "codemonkey/pm",
        )
        own, _ = resolve_chat_project(session, a_key, header=None, model="codemonkey/pm")
        assert own is not None and own.id == a_id
        with pytest.raises(NotFound):
            resolve_chat_project(session, a_key, header="octo/b", model="codemonkey/pm")
        with pytest.raises(NotFound):
            resolve_chat_project(session, global_key, header="no/such", model="codemonkey/pm")
        with pytest.raises(ValidationFailed):
            resolve_chat_project(session, global_key, header="octo/a", model="x@octo/b")
    with pytest.raises(Unauthenticated):
        authenticate(api.database, None)


class BrokenSearch:
    def __call__(self, project: str, kind: str, query: str, n: int) -> list[dict[str, Any]]:
        raise RuntimeError("index unavailable")


def test_unexpected_error_is_a_json_500_and_rolls_back(database: Database) -> None:
    deps = ApiDeps(
        database=database,
        settings=Settings(),
        rate_limiter=MemoryRateLimiter(),
        queue=RecordingQueue(database),
        search=BrokenSearch(),
    )
    client = TestClient(Starlette(routes=build_api_routes(deps)))
    with database.session() as session:
        project = Project(name="octo/a")
        session.add(project)
        session.flush()
        project_id = project.id
    with database.session() as session:
        secret = create_key(session, name="root", role=Role.ADMIN, project_id=None).secret
    headers = ApiHarness.auth(secret)
    response = client.post(
        f"/api/v1/projects/{project_id}/search", json={"query": "x"}, headers=headers
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "index unavailable" not in response.text
    with database.session() as session:
        assert session.query(AuditEntry).count() == 0
