"""Finding 9: hostile input and backend outages never give a 500.

The attacks: deeply nested JSON and huge integers on the webhook route, `/api/v1` and
`/v1`; an id beyond 64 bits in an `/api/v1` path; every route while Redis or PostgreSQL
does not answer (a closed port on 127.0.0.1 stands in for the outage).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.api.rest_app import build_api_routes
from bot.api.types import Role
from bot.routes.webhooks import webhook_deps, webhook_route
from bot.settings import load_settings
from bot.v1.auth import key_authenticator
from bot.v1.provider_errors import map_provider_error
from bot.v1.routes import ChatTarget, ModelInfo, v1_routes
from storage.kv import build_kv
from storage.kv.memory import MemoryRateLimiter
from storage.sql.database import Database
from tests.api.support import make_harness
from webhooks.signature import sign

SECRET = "bad-input-secret"
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = b'{"action": "opened", "number": ' + b"9" * 5000 + b"}"
# Parses, but overflows a BIGINT column when the delivery is recorded.
OVERFLOW = json.dumps(
    {"action": "created", "installation": {"id": 99999999999999999999999}}
).encode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _signed(body: bytes, event: str = "installation") -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": sign(SECRET.encode(), body),
    }


def _webhook_client(database: Database, tmp_path: Path) -> TestClient:
    settings = load_settings(data_dir=tmp_path, webhook_secret=SECRET)
    deps = webhook_deps(settings, database=database, queue=_NoQueue())
    return TestClient(Starlette(routes=[webhook_route(deps)]))


class _NoQueue:
    def enqueue(self, task_ids: Any) -> None:
        pass

    def depth(self) -> int:
        return 0


class _NoCatalog:
    """The routes must answer before they reach a model."""

    def list_models(self, caller: Any) -> list[ModelInfo]:
        raise AssertionError("no model listing expected")

    async def resolve(self, model: str, project: str | None, caller: Any) -> ChatTarget:
        raise AssertionError("no model call expected")


def _v1_client(database: Database) -> TestClient:
    routes = v1_routes(
        _NoCatalog(),
        key_authenticator(database, MemoryRateLimiter(), 100),
        map_provider_error,
        max_body_bytes=1_000_000,
    )
    return TestClient(Starlette(routes=routes))


@pytest.mark.parametrize("body", [DEEP, HUGE, OVERFLOW], ids=["deep", "huge", "overflow"])
def test_the_webhook_route_answers_400(database: Database, tmp_path: Path, body: bytes) -> None:
    with _webhook_client(database, tmp_path) as client:
        response = client.post("/webhooks/github", content=body, headers=_signed(body))
    assert response.status_code == 400, response.text
    assert "error" in response.json()


@pytest.fixture
def api_client(database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    harness = make_harness(database)
    with harness.client:
        yield harness.client, harness.auth(harness.key(Role.ADMIN))


@pytest.mark.parametrize("body", [DEEP, HUGE], ids=["deep", "huge"])
def test_api_and_v1_answer_400(
    database: Database, api_client: tuple[TestClient, dict[str, str]], body: bytes
) -> None:
    client, auth = api_client
    api = client.post("/api/v1/projects", content=body, headers=auth)
    assert api.status_code == 400, api.text
    assert api.json()["error"]["code"] == "malformed_json"
    with _v1_client(database) as v1:
        chat = v1.post("/v1/chat/completions", content=body, headers=auth)
    assert chat.status_code == 400, chat.text
    assert chat.json()["error"]["type"] == "invalid_request_error"


def test_an_id_beyond_64_bits_is_not_found(api_client: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api_client
    for path in ("/api/v1/projects/99999999999999999999999", "/api/v1/tasks/99999999999999999999"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    listed = client.get("/api/v1/tasks?project_id=99999999999999999999999", headers=auth)
    assert listed.status_code == 422, listed.text
    assert listed.json()["error"]["fields"][0]["field"] == "project_id"


def test_api_calls_with_redis_down_answer_503(database: Database) -> None:
    harness = make_harness(database)
    kv = build_kv(f"redis://127.0.0.1:{_closed_port()}/0")
    deps = dataclasses.replace(harness.deps, rate_limiter=kv.rates)
    client = TestClient(Starlette(routes=build_api_routes(deps)))
    auth = harness.auth(harness.key(Role.ADMIN))
    with client:
        for method, path in (
            ("GET", "/api/v1/projects"),
            ("POST", "/api/v1/projects"),
            ("GET", "/api/v1/projects/1"),
            ("GET", "/api/v1/tasks"),
            ("GET", "/api/v1/usage"),
        ):
            response = client.request(method, path, headers=auth, json={"name": "octo/app"})
            assert response.status_code == 503, (path, response.text)
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["error"]["code"] == "service_unavailable"
    kv.close()


def test_webhook_and_v1_with_postgres_down_answer_503(tmp_path: Path) -> None:
    down = Database(f"postgresql+psycopg://postgres:pgpass@127.0.0.1:{_closed_port()}/test")
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    try:
        with _webhook_client(down, tmp_path) as client:
            hook = client.post("/webhooks/github", content=body, headers=_signed(body, "ping"))
        with _v1_client(down) as v1:
            chat = v1.post(
                "/v1/chat/completions",
                headers={"authorization": "Bearer cm_anything"},
                json={"model": "codemonkey/qa", "messages": [{"role": "user", "content": "x"}]},
            )
    finally:
        down.dispose()
    assert hook.status_code == 503, hook.text
    assert int(hook.headers["retry-after"]) > 0 and "error" in hook.json()
    assert chat.status_code == 503, chat.text
    assert int(chat.headers["retry-after"]) > 0
    error = chat.json()["error"]
    assert error["type"] == "server_error" and error["code"] == "service_unavailable"
    assert "pgpass" not in hook.text + chat.text
