from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from storage.sql.database import Database
from tests.webhooks.support import RecordingQueue, make_app


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
async def client(database: Database, queue: RecordingQueue) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the webhook route through the ASGI app."""
    transport = httpx.ASGITransport(app=make_app(database, queue))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
