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
