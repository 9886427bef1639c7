from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.api.openapi import openapi_path
from bot.api.rest_app import api_operations, build_api_routes
from bot.api.types import ApiDeps
from bot.settings import Settings
from storage.kv.memory import MemoryRateLimiter
from storage.sql.database import Database
from tests.api.support import ApiHarness, InMemorySearch, RecordingQueue


def test_document_is_valid_openapi_and_lists_exactly_the_served_routes(
    sqlite_api: ApiHarness,
) -> None:
    response = sqlite_api.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    served = {(openapi_path(op.path), op.method.lower()) for op in api_operations()}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == served
    cancel = document["paths"]["/api/v1/tasks/{task_id}/cancel"]["post"]
    assert cancel["x-required-role"] == "member"
    assert {"401", "403", "404", "409", "429"} <= set(cancel["responses"])
    create = document["paths"]["/api/v1/projects"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert "name" in schema["required"]
    tasks = document["paths"]["/api/v1/tasks"]["get"]
    assert {p["name"] for p in tasks["parameters"]} == {
        "limit",
        "cursor",
        "state",
        "kind",
        "project",
        "group",
    }


def test_documented_routes_answer_as_documented(sqlite_api: ApiHarness) -> None:
    """Each documented path exists: an unauthenticated call gets 401, never a routing 404."""
    document = sqlite_api.client.get("/openapi.json").json()
    for path, item in document["paths"].items():
        concrete = path.replace("{project_id}", "1").replace("{task_id}", "1")
        concrete = concrete.replace("{conversation_id}", "1").replace("{key_id}", "1")
        concrete = concrete.replace("{role}", "reviewer")
        for method in item:
            response = sqlite_api.client.request(method.upper(), concrete)
            assert response.status_code == 401, (method, concrete)
            assert response.json()["error"]["code"] == "unauthenticated"


def test_extra_paths_hook_adds_chat_routes(sqlite_database: Database) -> None:
    deps = ApiDeps(
        database=sqlite_database,
        settings=Settings(),
        rate_limiter=MemoryRateLimiter(),
        queue=RecordingQueue(sqlite_database),
        search=InMemorySearch(),
    )
    ok = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}},
    }
    extra = {"/v1/models": {"get": {"operationId": "models.list", "responses": {"200": ok}}}}
    schemas = {"ModelList": {"type": "object", "properties": {"data": {"type": "array"}}}}
    routes = build_api_routes(deps, extra_openapi_paths=extra, extra_openapi_schemas=schemas)
    client = TestClient(Starlette(routes=routes))
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["paths"]["/v1/models"]["get"]["operationId"] == "models.list"
    assert "ModelList" in document["components"]["schemas"]
    assert "/v1/models" in client.get("/docs").text


def test_docs_page_lists_every_operation_without_external_assets(sqlite_api: ApiHarness) -> None:
    response = sqlite_api.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for op in api_operations():
        assert openapi_path(op.path) in page
    assert "ProjectCreate" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_resolves(sqlite_api: ApiHarness) -> None:
    document = sqlite_api.client.get("/openapi.json").json()
    refs = set(_refs(document))
    assert "#/components/schemas/TaskPage" in refs
    schemas = document["components"]["schemas"]
    missing = {r for r in refs if r.rsplit("/", 1)[-1] not in schemas}
    assert missing == set()
    assert all(r.startswith("#/components/schemas/") for r in refs)
