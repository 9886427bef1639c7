"""The Alembic migrations and the SQLAlchemy models must describe the same schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.sql import migrate
from storage.sql.database import Database
from storage.sql.models import Base
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'm.db'}")
        yield db
        db.dispose()
    else:
        yield from fresh_postgres_database(create_tables=False)


def test_migrations_match_models(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert migrate.is_up_to_date(empty_database)


def test_every_model_table_is_created(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    tables = set(inspect(empty_database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_to_base_and_up_again(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    assert migrate.current_revision(empty_database) is None
    assert set(inspect(empty_database.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_database)
    assert migrate.is_up_to_date(empty_database)


def test_upgrade_is_idempotent(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision(empty_database)


def test_short_role_names_in_old_tasks_become_canonical(empty_database: Database) -> None:
    """Rows ingress wrote before 0002 (`pm`, `backend`, ...) read as the role files name them."""
    migrate.upgrade(empty_database, "0001")
    old = ["pm", "backend", "frontend", "reviewer", "qa", "backend_developer", None]
    with empty_database.engine.begin() as connection:
        for role in old:
            connection.execute(
                text(
                    "INSERT INTO tasks (kind, role, title, payload, paths, state, attempts, "
                    "max_attempts, cancel_requested, created_at, updated_at) VALUES "
                    "('issue.triage', :role, '', '{}', '[]', 'queued', 0, 3, false, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"role": role},
            )
    migrate.upgrade(empty_database)
    with empty_database.engine.connect() as connection:
        roles = [r for (r,) in connection.execute(text("SELECT role FROM tasks ORDER BY id"))]
    assert roles == [
        "project_manager",
        "backend_developer",
        "frontend_developer",
        "code_reviewer",
        "qa",
        "backend_developer",
        None,
    ]
