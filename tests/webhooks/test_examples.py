"""Every one of GitHub's example payloads for the events we handle is accepted when signed,
and either routed or ignored with a recorded reason; never a server error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from storage.sql.database import Database
from storage.sql.models import Task, WebhookDelivery
from tests.conftest import _sqlite_database, fresh_postgres_database
from tests.webhooks.support import RecordingQueue, all_examples, make_app, signed_headers

EXAMPLES = all_examples()


def _id(event: str, index: int, payload: dict[str, Any]) -> str:
    return f"{event}-{index}-{payload.get('action') or 'none'}"


async def _deliver(database: Database, event: str, index: int, payload: dict[str, Any]) -> None:
    queue = RecordingQueue()
    transport = httpx.ASGITransport(app=make_app(database, queue))
    body = json.dumps(payload).encode()
    delivery = f"ex-{event}-{index}"
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/webhooks/github", content=body, headers=signed_headers(body, event, delivery)
        )
    assert response.status_code in (200, 202), response.text
    outcome = response.json()["outcome"]
    with database.session() as session:
        row = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery)
        ).one()
        tasks = session.scalars(select(Task).where(Task.id.in_(row.task_ids))).all()
    assert row.outcome == outcome
    assert row.reason, "every outcome carries a reason"
    if outcome == "queued":
        assert tasks and response.status_code == 202
        # A triage already pending for the issue absorbs a second trigger (not re-queued).
        assert set(queue.ids) <= {t.id for t in tasks}
        assert queue.ids or "tasks: issue.triage" in row.reason
    else:
        assert outcome in ("ignored", "ping", "registered")
        assert not tasks


@pytest.mark.parametrize(("event", "index", "payload"), EXAMPLES, ids=[_id(*e) for e in EXAMPLES])
async def test_example_is_accepted_on_sqlite(
    tmp_path: Path, event: str, index: int, payload: dict[str, Any]
) -> None:
    for database in _sqlite_database(tmp_path):
        await _deliver(database, event, index, payload)


async def test_every_example_is_accepted_on_postgresql() -> None:
    for database in fresh_postgres_database():
        for event, index, payload in EXAMPLES:
            await _deliver(database, event, index, payload)


def test_fixtures_cover_the_handled_events() -> None:
    events = {event for event, _, _ in EXAMPLES}
    assert events >= {
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "check_run",
        "push",
        "installation",
        "installation_repositories",
        "ping",
    }
    assert len(EXAMPLES) == 115
