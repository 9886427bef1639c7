"""Validation, malformed JSON, unknown routes and methods: one error shape everywhere."""

from __future__ import annotations

from bot.api.types import Role
from storage.sql.models import AuditEntry, Project
from tests.api.support import ApiHarness


def test_invalid_body_gives_field_level_422(api: ApiHarness) -> None:
    headers = api.auth(api.key(Role.ADMIN))
    response = api.client.post(
        "/api/v1/projects", json={"name": "no-slash", "colour": "red"}, headers=headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    by_field = {f["field"]: f for f in error["fields"]}
    assert set(by_field) == {"name", "colour"}
    assert by_field["name"]["in"] == "body"
    assert "pattern" in by_field["name"]["message"]
    assert "not permitted" in by_field["colour"]["message"].lower()


def test_missing_field_and_wrong_type(api: ApiHarness) -> None:
    headers = api.auth(api.key(Role.ADMIN))
    response = api.client.post("/api/v1/keys", json={"role": "owner"}, headers=headers)
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields["name"] == "Field required"
    assert "admin" in fields["role"]


def test_malformed_json_is_400(api: ApiHarness) -> None:
    headers = {**api.auth(api.key(Role.ADMIN)), "content-type": "application/json"}
    response = api.client.post("/api/v1/projects", content=b'{"name": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    empty = api.client.post("/api/v1/projects", content=b"", headers=headers)
    assert empty.status_code == 400
    not_object = api.client.post("/api/v1/projects", json=[1, 2], headers=headers)
    assert not_object.status_code == 422


def test_invalid_query_is_422_in_query(api: ApiHarness) -> None:
    headers = api.auth(api.key(Role.ADMIN))
    response = api.client.get("/api/v1/tasks?limit=0&state=done", headers=headers)
    assert response.status_code == 422
    fields = {(f["field"], f["in"]) for f in response.json()["error"]["fields"]}
    assert fields == {("limit", "query"), ("state", "query")}
    cursor = api.client.get("/api/v1/tasks?cursor=garbage!", headers=headers)
    assert cursor.status_code == 422
    assert cursor.json()["error"]["fields"][0]["field"] == "cursor"


def test_failed_writes_are_not_audited_and_change_nothing(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    assert (
        api.client.post("/api/v1/projects", json={"name": "octo/a"}, headers=admin).status_code
        == 201
    )
    duplicate = api.client.post("/api/v1/projects", json={"name": "octo/a"}, headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"
    assert "INSERT" not in duplicate.json()["error"]["message"]
    invalid = api.client.post("/api/v1/projects", json={"name": "x"}, headers=admin)
    assert invalid.status_code == 422
    with api.database.session() as session:
        assert session.query(Project).count() == 1
        actions = [e.action for e in session.query(AuditEntry)]
    assert actions == ["projects.create"]


def test_unknown_route_and_method_are_json(api: ApiHarness) -> None:
    headers = api.auth(api.key(Role.ADMIN))
    missing = api.client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = api.client.put("/api/v1/projects", json={}, headers=headers)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert "GET, POST" in wrong.json()["error"]["message"]


def test_bad_authorization_headers(api: ApiHarness) -> None:
    secret = api.key(Role.ADMIN)
    for value in (f"Basic {secret}", "Bearer", "Bearer    ", secret, "Bearer not-a-cm-key"):
        response = api.client.get("/api/v1/projects", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert "codemonkey keys create" in response.json()["error"]["message"]


def test_head_is_answered_like_get(api: ApiHarness) -> None:
    headers = api.auth(api.key(Role.VIEWER))
    assert api.client.head("/api/v1/projects", headers=headers).status_code == 200
    assert api.client.head("/api/v1/projects").status_code == 401
