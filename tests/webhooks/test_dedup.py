"""Redelivery idempotency under concurrency, through a real uvicorn server."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import select

from storage.sql.database import Database
from storage.sql.models import Task, WebhookDelivery
from tests.webhooks.support import RecordingQueue, example, make_app, serve, signed_headers


async def test_twenty_concurrent_copies_make_one_row_and_one_task(database: Database) -> None:
    queue = RecordingQueue()
    payload = example("issues", "labeled")
    payload["label"]["name"] = "codemonkey"
    body = json.dumps(payload).encode()
    headers = signed_headers(body, "issues", "0b989ba4-242f-11e5-81e1-c7b6966d2516")
    with serve(make_app(database, queue)) as base_url:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
            responses = await asyncio.gather(
                *(client.post("/webhooks/github", content=body, headers=headers) for _ in range(20))
            )
    statuses = sorted(r.status_code for r in responses)
    assert all(200 <= s < 300 for s in statuses), statuses
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["duplicate"] * 19 + ["queued"]
    with database.session() as session:
        rows = session.scalars(select(WebhookDelivery)).all()
        tasks = session.scalars(select(Task)).all()
    assert len(rows) == 1
    assert len(tasks) == 1
    assert tasks[0].kind == "issue.triage"
    assert rows[0].task_ids == [tasks[0].id]
    assert queue.ids == [tasks[0].id]
    assert {tuple(r.json()["task_ids"]) for r in responses} == {(tasks[0].id,)}


async def test_distinct_deliveries_of_one_issue_coalesce_triage(database: Database) -> None:
    """GitHub sends `opened` (with the label) and `labeled` for one new issue."""
    queue = RecordingQueue()
    opened = example("issues", "opened")
    opened["issue"]["labels"] = [{"name": "codemonkey"}]
    labeled = example("issues", "labeled")
    labeled["label"]["name"] = "codemonkey"
    labeled["issue"]["number"] = opened["issue"]["number"]
    transport = httpx.ASGITransport(app=make_app(database, queue))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for event_payload, delivery in ((opened, "a"), (labeled, "b")):
            body = json.dumps(event_payload).encode()
            response = await client.post(
                "/webhooks/github", content=body, headers=signed_headers(body, "issues", delivery)
            )
            assert response.status_code == 202
    with database.session() as session:
        assert len(session.scalars(select(WebhookDelivery)).all()) == 2
        assert len(session.scalars(select(Task)).all()) == 1
    assert len(queue.ids) == 1
