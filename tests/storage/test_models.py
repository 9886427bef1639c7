from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.sql.database import Database
from storage.sql.models import Project, Task, TaskState, WebhookDelivery


def test_task_round_trip_keeps_utc_and_json(database: Database) -> None:
    with database.session() as session:
        project = Project(name="octo/hello")
        session.add(project)
        session.flush()
        task = Task(project_id=project.id, kind="plan", payload={"issue": 7}, paths=["a.py"])
        session.add(task)
        session.flush()
        task_id = task.id
    with database.session() as session:
        loaded = session.get(Task, task_id)
        assert loaded is not None
        assert loaded.state == TaskState.QUEUED
        assert loaded.payload == {"issue": 7}
        assert loaded.paths == ["a.py"]
        assert loaded.created_at.tzinfo is not None
        assert abs((datetime.now(UTC) - loaded.created_at).total_seconds()) < 60


def test_delivery_id_is_unique(database: Database) -> None:
    with database.session() as session:
        session.add(WebhookDelivery(delivery_id="abc", event="ping"))
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(WebhookDelivery(delivery_id="abc", event="ping"))
    with database.session() as session:
        count = len(session.scalars(select(WebhookDelivery)).all())
    assert count == 1
