"""Shared fixtures: every SQL test runs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.sql import migrate
from storage.sql.database import Database
from tests.container_image import container_image

pytest_plugins = ["tests.network_guard", "tests.fakes.llm.fixtures"]

POSTGRES_URL = os.environ.get(
    "CODEMONKEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CODEMONKEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _sqlite_database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'test.db'}")
    migrate.upgrade(db)
    yield db
    db.dispose()


def fresh_postgres_database(*, create_tables: bool = True) -> Iterator[Database]:
    """A fresh schema on the real server, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    db = Database(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        if create_tables:
            migrate.upgrade(db)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database; the test runs once per backend."""
    if request.param == "sqlite":
        yield from _sqlite_database(tmp_path)
    else:
        yield from fresh_postgres_database()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    yield from _sqlite_database(tmp_path)


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    yield from fresh_postgres_database()


@pytest.fixture(scope="session")
def podman_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local image that Podman runs here (made without a registry), or a skip that says
    exactly why not (see tests/container_image.py)."""
    before = os.environ.get("CONTAINERS_CONF")
    found = container_image(tmp_path_factory.mktemp("podman"))
    try:
        if found.image is None:
            pytest.skip(found.reason)
        yield found.image
    finally:
        if before is None:
            os.environ.pop("CONTAINERS_CONF", None)
        else:
            os.environ["CONTAINERS_CONF"] = before
