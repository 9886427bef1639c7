"""Finding 10: a captured signed delivery replayed under a new delivery id creates nothing.

The signature covers the body only, so whoever saw one delivery (a proxy log, a
misconfigured receiver) can send it again with a fresh `X-GitHub-Delivery`. The body's
digest is remembered on the kv store; the replay is recorded as a duplicate with a reason.
Runs on SQLite and PostgreSQL, with the in-process and the Redis kv store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.routes.webhooks import WebhookDeps, webhook_route
from storage.kv import Cache, build_kv
from storage.kv.memory import MemoryCache
from storage.sql.database import Database
from storage.sql.models import Task, WebhookDelivery
from tests.conftest import REDIS_URL
from tests.webhooks.support import (
    SECRET,
    RecordingQueue,
    example,
    ingest_config,
    signed_headers,
)


@pytest.fixture(params=["in-process", "redis"])
def seen_bodies(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "in-process":
        yield MemoryCache()
        return
    kv = build_kv(REDIS_URL, prefix=f"test-replay-{uuid.uuid4().hex[:8]}:")
    try:
        yield kv.cache
    finally:
        assert kv.redis is not None
        keys = list(kv.redis.client.scan_iter(f"{kv.redis.prefix}*"))
        if keys:
            kv.redis.client.delete(*keys)
        kv.close()


def test_a_replayed_body_under_a_new_delivery_id_creates_nothing(
    database: Database, seen_bodies: Cache
) -> None:
    queue = RecordingQueue()
    deps = WebhookDeps(
        database=database,
        queue=queue,
        secret=SecretStr(SECRET),
        ingest=ingest_config(),
        seen_bodies=seen_bodies,
    )
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = "@codemonkey what does this function do?"
    body = json.dumps(payload).encode()
    original, replay = str(uuid.uuid4()), str(uuid.uuid4())
    with TestClient(Starlette(routes=[webhook_route(deps)])) as client:

        def post(delivery_id: str) -> dict[str, object]:
            headers = signed_headers(body, "issue_comment", delivery_id)
            response = client.post("/webhooks/github", content=body, headers=headers)
            assert response.status_code < 300, response.text
            answer: dict[str, object] = response.json()
            return answer

        first = post(original)
        replayed = post(replay)
        redelivered = post(original)  # GitHub's own redelivery keeps its id
    assert first["outcome"] == "queued", first
    assert replayed["outcome"] == "duplicate", replayed
    assert original in str(replayed["reason"])
    assert redelivered["outcome"] == "duplicate"
    with database.session() as session:
        tasks = session.scalars(select(Task)).all()
        rows = {r.delivery_id: r for r in session.scalars(select(WebhookDelivery))}
    assert len(tasks) == 1
    assert queue.ids == [tasks[0].id]
    assert rows[replay].outcome == "duplicate" and original in (rows[replay].reason or "")
