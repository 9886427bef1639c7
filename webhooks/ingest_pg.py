"""Recording a routed delivery on PostgreSQL in one statement, without BEGIN/COMMIT.

The common delivery (a row plus the tasks it maps to) costs one round trip: the tasks and
the delivery row go in as one `WITH ... INSERT` statement on an autocommit connection, so
PostgreSQL commits it as a single implicit transaction before answering (durable, with
`synchronous_commit` untouched). Through the ORM the same work takes BEGIN, the delivery
insert, an idempotency-key read, the task insert, the row update and COMMIT.

Dedup still holds: a concurrent copy of the delivery collides on `tasks.idempotency_key`
(derived from the delivery id) or on `webhook_deliveries.delivery_id`, waits for the first
copy to commit and fails with an IntegrityError; the caller then takes the general path,
which reports the duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from storage.sql.database import Database
from storage.sql.models import TaskState
from storage.tasks import NewTask

if TYPE_CHECKING:
    # psycopg is the server extra's; `codemonkey action` on SQLite imports this module
    # without it, so it is imported where a PostgreSQL connection is opened.
    import psycopg


@dataclass(frozen=True)
class ProjectView:
    """What routing needs of a project row."""

    id: int
    active: bool
    config: dict[str, Any] | None


@dataclass(frozen=True)
class DeliveryRow:
    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    sender: str | None
    installation_id: int | None
    outcome: str
    reason: str
    received_at: datetime


_PROJECT = "SELECT id, active, config FROM projects WHERE name = %(name)s"

_DELIVERY_COLUMNS = (
    "delivery_id, event, action, repository, sender, installation_id, outcome, reason, "
    "task_ids, received_at"
)
_DELIVERY_VALUES = (
    "%(delivery_id)s, %(event)s, %(action)s, %(repository)s, %(sender)s, "
    "%(installation_id)s, %(outcome)s, %(reason)s"
)
_TASK_COLUMNS = (
    "kind, payload, project_id, role, title, group_key, idempotency_key, paths, state, "
    "attempts, max_attempts, cancel_requested, created_at, updated_at"
)


@contextmanager
def autocommit_driver(database: Database) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection in autocommit mode, used through psycopg itself: SQLAlchemy's
    execution layer costs ~0.2 ms of CPU per statement, more than the statement here.

    SQLAlchemy still owns the connection (autocommit is undone when it goes back to the
    pool), and psycopg's errors come out as SQLAlchemy's (IntegrityError, OperationalError)
    so callers handle them as on every other path; a broken connection is discarded.
    """
    import psycopg

    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        try:
            yield driver
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
                connection.invalidate()
            raise DBAPIError.instance(None, None, exc, psycopg.Error, hide_parameters=True) from exc


def project_view(connection: psycopg.Connection[Any], name: str) -> ProjectView | None:
    row = connection.execute(_PROJECT, {"name": name}).fetchone()
    if row is None:
        return None
    config = row[2] if isinstance(row[2], dict) else None
    return ProjectView(id=int(row[0]), active=bool(row[1]), config=config)


@cache
def _statement(task_count: int) -> str:
    """The statement for a delivery with `task_count` tasks (cached: one text per count,
    which psycopg then prepares server-side after a few uses). Only constants and
    placeholders go into the text; every value is a bound parameter."""
    if task_count == 0:
        return (
            f"INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) "  # noqa: S608
            f"VALUES ({_DELIVERY_VALUES}, '[]', %(received_at)s)"
        )
    rows = ", ".join(
        f"(%(kind_{i})s, %(payload_{i})s::json, %(project_id_{i})s, %(role_{i})s, "
        f"%(title_{i})s, %(group_key_{i})s, %(idempotency_key_{i})s, %(paths_{i})s::json, "
        f"'{TaskState.QUEUED.value}', 0, %(max_attempts_{i})s, false, %(received_at)s, "
        "%(received_at)s)"
        for i in range(task_count)
    )
    # Ids come from one sequence in VALUES order, so ordering by id keeps the intents' order.
    return (
        f"WITH new_tasks AS (INSERT INTO tasks ({_TASK_COLUMNS}) VALUES {rows} RETURNING id), "  # noqa: S608
        f"delivery AS (INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) "
        f"SELECT {_DELIVERY_VALUES}, json_agg(id ORDER BY id), %(received_at)s "
        "FROM new_tasks) "
        "SELECT id FROM new_tasks ORDER BY id"
    )


def insert_delivery(
    connection: psycopg.Connection[Any], row: DeliveryRow, tasks: Sequence[NewTask]
) -> list[int]:
    """Insert the tasks and the delivery row (its `task_ids` filled in by the statement);
    the new task ids in order. `connection` must be in autocommit mode."""
    params: dict[str, Any] = {
        "delivery_id": row.delivery_id,
        "event": row.event,
        "action": row.action,
        "repository": row.repository,
        "sender": row.sender,
        "installation_id": row.installation_id,
        "outcome": row.outcome,
        "reason": row.reason,
        "received_at": row.received_at,
    }
    for i, task in enumerate(tasks):
        if task.depends_on or task.parent_id is not None:
            raise ValueError("ingress tasks have no parent or dependencies")
        params[f"kind_{i}"] = task.kind
        params[f"payload_{i}"] = json.dumps(task.payload)
        params[f"project_id_{i}"] = task.project_id
        params[f"role_{i}"] = task.role
        params[f"title_{i}"] = task.title
        params[f"group_key_{i}"] = task.group_key
        params[f"idempotency_key_{i}"] = task.idempotency_key
        params[f"paths_{i}"] = json.dumps(list(task.paths))
        params[f"max_attempts_{i}"] = task.max_attempts
    cursor = connection.execute(_statement(len(tasks)), params)
    return [int(r[0]) for r in cursor.fetchall()] if tasks else []
