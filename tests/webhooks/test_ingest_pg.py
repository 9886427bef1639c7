"""The one-statement recording on PostgreSQL writes what the general path writes."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.sql.database import Database
from storage.sql.models import Project, Task, WebhookDelivery
from tests.conftest import POSTGRES_URL
from tests.webhooks.support import example, ingest_config
from webhooks.ingest import Delivery, IngestResult, Outcome, _ingest, ingest_delivery

# Columns that differ between two recordings of equal deliveries by construction (the
# delivery's `task_ids` are checked against the result instead).
_PER_ROW = {"id", "idempotency_key", "delivery_id", "created_at", "updated_at", "received_at"}


def _columns(row: Any) -> dict[str, Any]:
    out = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in _PER_ROW}
    out.pop("task_ids", None)
    if isinstance(out.get("payload"), dict):
        out["payload"] = {k: v for k, v in out["payload"].items() if k != "delivery_id"}
    return out


def _recorded(database: Database, result: IngestResult, delivery_id: str) -> dict[str, Any]:
    with database.session() as session:
        row = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id)
        ).one()
        tasks = [session.get(Task, i) for i in result.task_ids]
        assert row.task_ids == list(result.task_ids)
        return {"delivery": _columns(row), "tasks": [_columns(t) for t in tasks]}


def _mention() -> dict[str, Any]:
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = "@codemonkey what does this do?"
    return payload


@pytest.mark.parametrize(
    ("event_name", "payload"),
    [
        ("issue_comment", _mention()),
        ("pull_request", example("pull_request", "opened")),
        ("issue_comment", example("issue_comment", "created")),
        ("ping", {"zen": "Keep it logically awesome."}),
    ],
)
def test_one_statement_rows_equal_the_general_paths(
    postgres_database: Database, event_name: str, payload: dict[str, Any]
) -> None:
    database = postgres_database
    with database.session() as session:
        session.add(Project(name=payload.get("repository", {}).get("full_name", "x/y")))
    config = ingest_config()
    fast = ingest_delivery(database, Delivery("fast-1", event_name, payload), config)
    with database.session() as session:
        general = _ingest(session, Delivery("general-1", event_name, payload), config)
    assert fast.outcome is general.outcome
    assert fast.reason == general.reason
    assert len(fast.new_task_ids) == len(general.new_task_ids)
    assert _recorded(database, fast, "fast-1") == _recorded(database, general, "general-1")


def test_a_plain_delivery_is_one_write_statement_without_begin(
    postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every statement psycopg runs, by either API: (first word, whether in autocommit, i.e.
    # with no BEGIN/COMMIT around it).
    statements: list[tuple[str, bool]] = []
    original = psycopg.Cursor.execute

    def recording(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append((str(query).split()[0], cursor.connection.autocommit))
        return original(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    config = ingest_config()
    result = ingest_delivery(
        postgres_database, Delivery("one-1", "issue_comment", _mention()), config
    )
    assert result.outcome is Outcome.QUEUED and len(result.new_task_ids) == 1
    # The project read and the insert; no BEGIN, no COMMIT.
    assert statements == [("SELECT", True), ("WITH", True)]


def test_a_second_copy_after_the_first_is_a_duplicate(postgres_database: Database) -> None:
    config = ingest_config()
    first = ingest_delivery(
        postgres_database, Delivery("dup-1", "issue_comment", _mention()), config
    )
    again = ingest_delivery(
        postgres_database, Delivery("dup-1", "issue_comment", _mention()), config
    )
    assert again.outcome is Outcome.DUPLICATE
    assert again.task_ids == first.task_ids and again.new_task_ids == ()
    with postgres_database.session() as session:
        assert len(session.scalars(select(Task)).all()) == 1


def test_a_dropped_connection_is_an_outage_and_is_not_reused(postgres_database: Database) -> None:
    config = ingest_config()
    ingest_delivery(postgres_database, Delivery("warm-1", "issue_comment", _mention()), config)
    with postgres_database.engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = create_engine(POSTGRES_URL, poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
    # The route answers OperationalError with a 503 (redeliver later), as on every path.
    with pytest.raises(OperationalError):
        ingest_delivery(postgres_database, Delivery("lost-1", "issue_comment", _mention()), config)
    again = ingest_delivery(
        postgres_database, Delivery("lost-1", "issue_comment", _mention()), config
    )
    assert again.outcome is Outcome.QUEUED
