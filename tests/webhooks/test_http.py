"""The webhook route through the ASGI app: signature, limits, headers, recording."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.github.app_auth import installation_token_key
from bot.routes.webhooks import webhook_deps, webhook_route
from bot.settings import Settings
from storage.kv.memory import MemoryCache
from storage.sql.database import Database
from storage.sql.models import Task, WebhookDelivery
from tests.webhooks.support import RecordingQueue, example, make_app, signed_headers

URL = "/webhooks/github"


def count(database: Database, model: type[Task] | type[WebhookDelivery]) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def mention_body(text: str = "@codemonkey architect what do you think?") -> bytes:
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = text
    return json.dumps(payload).encode()


async def test_no_secret_configured_is_503_with_fix(database: Database) -> None:
    transport = httpx.ASGITransport(app=make_app(database, RecordingQueue(), secret=None))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = mention_body()
        response = await client.post(
            URL, content=body, headers=signed_headers(body, "issue_comment")
        )
    assert response.status_code == 503
    assert "CODEMONKEY_WEBHOOK_SECRET" in response.json()["error"]
    assert count(database, WebhookDelivery) == 0


async def test_missing_signature_is_401_and_stores_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = mention_body()
    headers = signed_headers(body, "issue_comment")
    del headers["X-Hub-Signature-256"]
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert count(database, WebhookDelivery) == 0
    assert count(database, Task) == 0


async def test_wrong_secret_is_401(client: httpx.AsyncClient, database: Database) -> None:
    body = mention_body()
    headers = signed_headers(body, "issue_comment", secret="not the secret")
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert count(database, WebhookDelivery) == 0


async def test_sha1_signature_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    body = mention_body()
    headers = signed_headers(body, "issue_comment")
    digest = hmac.new(b"It's a Secret to Everybody", body, hashlib.sha1).hexdigest()
    headers["X-Hub-Signature-256"] = f"sha1={digest}"
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert count(database, WebhookDelivery) == 0


async def test_tampered_body_is_401(client: httpx.AsyncClient, database: Database) -> None:
    body = mention_body()
    headers = signed_headers(body, "issue_comment")
    tampered = body.replace(b"architect", b"backend!!")
    response = await client.post(URL, content=tampered, headers=headers)
    assert response.status_code == 401
    assert count(database, Task) == 0


async def test_body_over_limit_is_413(database: Database) -> None:
    app = make_app(database, RecordingQueue(), max_body_bytes=2048)
    body = mention_body("@codemonkey " + "x" * 4096)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        declared = await c.post(URL, content=body, headers=signed_headers(body, "issue_comment"))

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        # No Content-Length: the limit is enforced while streaming.
        streamed = await c.post(
            URL, content=chunks(), headers=signed_headers(body, "issue_comment")
        )
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert count(database, WebhookDelivery) == 0


async def test_form_encoded_delivery_is_415(client: httpx.AsyncClient, database: Database) -> None:
    body = b"payload=" + mention_body()
    headers = signed_headers(body, "issue_comment")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert count(database, WebhookDelivery) == 0


async def test_malformed_json_is_400(client: httpx.AsyncClient, database: Database) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        response = await client.post(URL, content=body, headers=signed_headers(body, "issues"))
        assert response.status_code == 400, body
    assert count(database, WebhookDelivery) == 0


async def test_missing_event_or_delivery_header_is_400(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = mention_body()
    for header in ("X-GitHub-Event", "X-GitHub-Delivery"):
        headers = signed_headers(body, "issue_comment")
        del headers[header]
        response = await client.post(URL, content=body, headers=headers)
        assert response.status_code == 400
        assert header in response.json()["error"]
    assert count(database, WebhookDelivery) == 0


async def test_ping_is_answered_and_recorded(client: httpx.AsyncClient, database: Database) -> None:
    body = json.dumps(example("ping")).encode()
    response = await client.post(URL, content=body, headers=signed_headers(body, "ping", "p-1"))
    assert response.status_code == 200
    assert response.json()["message"] == "pong"
    with database.session() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert (row.delivery_id, row.event, row.outcome) == ("p-1", "ping", "ping")


async def test_unhandled_event_is_ignored_with_reason(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = json.dumps({"action": "started", "sender": {"login": "octocat"}}).encode()
    response = await client.post(URL, content=body, headers=signed_headers(body, "watch"))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    with database.session() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert row.outcome == "ignored"
        assert "'watch' is not handled" in row.reason
    assert count(database, Task) == 0


async def test_mention_creates_one_task_and_enqueues_it_after_commit(
    client: httpx.AsyncClient, database: Database, queue: RecordingQueue
) -> None:
    body = mention_body()
    headers = signed_headers(body, "issue_comment", "d-42")
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 202
    data = response.json()
    assert data["outcome"] == "queued"
    with database.session() as session:
        task = session.scalars(select(Task)).one()
        row = session.scalars(select(WebhookDelivery)).one()
        assert task.kind == "mention.answer"
        assert task.role == "architect"
        assert task.payload["request"] == "what do you think?"
        assert task.payload["repo"] == "Codertocat/Hello-World"
        assert task.payload["comment_id"] == 492700400
        assert task.idempotency_key == "gh:d-42:mention"
        assert (row.event, row.action, row.repository, row.sender) == (
            "issue_comment",
            "created",
            "Codertocat/Hello-World",
            "Codertocat",
        )
        assert row.task_ids == [task.id]
        assert row.outcome == "queued"
    assert queue.ids == [task.id]
    assert data["task_ids"] == [task.id]


async def test_redelivery_creates_no_second_task(
    client: httpx.AsyncClient, database: Database, queue: RecordingQueue
) -> None:
    body = mention_body()
    first = await client.post(
        URL, content=body, headers=signed_headers(body, "issue_comment", "d-1")
    )
    second = await client.post(
        URL, content=body, headers=signed_headers(body, "issue_comment", "d-1")
    )
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["outcome"] == "duplicate"
    assert second.json()["task_ids"] == first.json()["task_ids"]
    assert count(database, Task) == 1
    assert count(database, WebhookDelivery) == 1
    assert len(queue.ids) == 1


async def test_deps_from_settings_apply_slug_label_and_limit(database: Database) -> None:
    settings = Settings(
        webhook_secret=SecretStr("It's a Secret to Everybody"),
        github_app_slug="helper",
        trigger_label="please-help",
        webhook_max_body_bytes=200_000,
    )
    queue = RecordingQueue()
    deps = webhook_deps(settings, database=database, queue=queue)
    assert deps.max_body_bytes == 200_000
    app = Starlette(routes=[webhook_route(deps)])
    payload = example("issues", "labeled")
    payload["label"]["name"] = "please-help"
    body = json.dumps(payload).encode()
    comment = mention_body("@codemonkey hello")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        labeled = await c.post(URL, content=body, headers=signed_headers(body, "issues"))
        ignored = await c.post(
            URL, content=comment, headers=signed_headers(comment, "issue_comment")
        )
    assert labeled.status_code == 202
    assert ignored.json()["reason"] == "no @helper mention or slash command"
    assert len(queue.ids) == 1


@pytest.mark.parametrize("action", ["deleted", "suspend"])
async def test_a_deleted_or_suspended_installation_loses_its_cached_token_at_once(
    database: Database, action: str
) -> None:
    settings = Settings(webhook_secret=SecretStr("It's a Secret to Everybody"), github_app_id=7)
    cache = MemoryCache()
    payload = example("installation", action)
    gone = payload["installation"]["id"]
    cache.set(installation_token_key(7, gone), b"cached-token", 3000)
    cache.set(installation_token_key(7, gone + 1), b"other-token", 3000)
    deps = webhook_deps(settings, database=database, queue=RecordingQueue(), cache=cache)
    app = Starlette(routes=[webhook_route(deps)])
    body = json.dumps(payload).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post(URL, content=body, headers=signed_headers(body, "installation"))
    assert response.status_code == 202, response.text
    assert cache.get(installation_token_key(7, gone)) is None
    assert cache.get(installation_token_key(7, gone + 1)) == b"other-token"
