from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.sql.database import Database
from tests.api.support import ApiHarness, make_harness


@pytest.fixture
def api(database: Database) -> Iterator[ApiHarness]:
    harness = make_harness(database)
    with harness.client:
        yield harness


@pytest.fixture
def sqlite_api(sqlite_database: Database) -> Iterator[ApiHarness]:
    """For tests whose subject does not touch SQL (the OpenAPI document, the docs page)."""
    harness = make_harness(sqlite_database)
    with harness.client:
        yield harness
