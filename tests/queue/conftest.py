"""Queue fixtures: every contract test runs on {in-process, RQ+Redis} x {SQLite, PostgreSQL}."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from storage.sql.database import Database
from storage.tasks import TaskStore
from tests.conftest import REDIS_URL
from tests.queue.harness import Harness, InProcessHarness, RQHarness, queue_settings


@pytest.fixture
def redis() -> Iterator[Redis]:
    client: Redis = Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def store(database: Database) -> TaskStore:
    return TaskStore(database)


@pytest.fixture(params=["inprocess", "rq"])
def harness(
    request: pytest.FixtureRequest, database: Database, tmp_path: Path, redis: Redis
) -> Iterator[Harness]:
    settings = queue_settings(tmp_path / "data")
    if request.param == "inprocess":
        inprocess = InProcessHarness(settings, database)
        inprocess.pool.start()
        try:
            yield inprocess
        finally:
            inprocess.pool.stop(drain=False)
    else:
        with RQHarness(settings, database, redis).running() as rq_harness:
            yield rq_harness
