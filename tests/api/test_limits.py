"""Rate limits per key (429 + retry-after) and request size limits (413)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.api.keys import create_key
from bot.api.rest_app import build_api_routes
from bot.api.types import ApiDeps, Role
from bot.settings import Settings
from storage.kv.base import RateDecision, RateLimiter
from storage.kv.memory import MemoryRateLimiter
from storage.sql.database import Database
from storage.sql.models import AuditEntry, Project
from tests.api.support import InMemorySearch, RecordingQueue, make_harness


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_counts_exactly() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    decisions = [limiter.hit("k", limit=3, window_seconds=10) for _ in range(3)]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.allowed for d in decisions)
    clock.now += 4
    refused = limiter.hit("k", limit=3, window_seconds=10)
    assert not refused.allowed
    assert refused.retry_after_seconds == 6.0
    assert limiter.hit("other", limit=3, window_seconds=10).allowed
    clock.now += 6  # the first three hits leave the window now
    assert limiter.hit("k", limit=3, window_seconds=10).allowed


def test_window_slides_rather_than_resetting() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    limiter.hit("k", limit=2, window_seconds=10)
    clock.now += 9
    limiter.hit("k", limit=2, window_seconds=10)
    clock.now += 2  # the first hit expired; the second leaves the window in 8 s
    assert limiter.hit("k", limit=2, window_seconds=10).allowed
    refused = limiter.hit("k", limit=2, window_seconds=10)
    assert not refused.allowed
    assert refused.retry_after_seconds == 8.0


def test_limiter_is_exact_under_threads() -> None:
    limiter = MemoryRateLimiter()
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            decision = limiter.hit("shared", limit=120, window_seconds=60)
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 120
    assert len(allowed) == 400


def test_api_returns_429_with_retry_after_per_key(database: Database) -> None:
    api = make_harness(database, api_rate_limit_per_minute=3)
    first, second = api.auth(api.key(Role.ADMIN)), api.auth(api.key(Role.ADMIN))
    statuses = [api.client.get("/api/v1/projects", headers=first).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = api.client.get("/api/v1/projects", headers=first)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 60
    ok = api.client.get("/api/v1/projects", headers=second)
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-remaining"] == "2"


def test_rate_limited_write_is_not_applied(database: Database) -> None:
    api = make_harness(database, api_rate_limit_per_minute=1)
    headers = api.auth(api.key(Role.ADMIN))
    assert api.client.get("/api/v1/projects", headers=headers).status_code == 200
    response = api.client.post("/api/v1/projects", json={"name": "octo/a"}, headers=headers)
    assert response.status_code == 429
    with database.session() as session:
        assert session.query(Project).count() == 0
        assert session.query(AuditEntry).count() == 0


def test_body_over_the_limit_is_413(database: Database) -> None:
    api = make_harness(database, api_max_body_bytes=1024)
    headers = api.auth(api.key(Role.ADMIN))
    big = {"name": "octo/a", "config": {"blob": "x" * 2000}}
    response = api.client.post("/api/v1/projects", json=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "1024" in response.json()["error"]["message"]
    fits = {"name": "octo/a", "config": {"blob": "x" * 500}}
    assert api.client.post("/api/v1/projects", json=fits, headers=headers).status_code == 201


def test_chunked_body_without_length_is_counted(database: Database) -> None:
    api = make_harness(database, api_max_body_bytes=1024)
    headers = {**api.auth(api.key(Role.ADMIN)), "content-type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "octo/a", "config": {"blob": "'
        for _ in range(10):
            yield b"y" * 200
        yield b'"}}'

    response = api.client.post("/api/v1/projects", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    with database.session() as session:
        assert session.query(Project).count() == 0


class RefusingLimiter(RateLimiter):
    """Any implementation of the one rate-limiter contract (`storage.kv.base`) plugs in."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, int, float]] = []

    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        self.keys.append((key, limit, window_seconds))
        return RateDecision(allowed=False, remaining=0, retry_after_seconds=2.2)


def test_any_limiter_matching_the_protocol_plugs_in(database: Database) -> None:
    limiter = RefusingLimiter()
    deps = ApiDeps(
        database=database,
        settings=Settings(api_rate_limit_per_minute=7),
        rate_limiter=limiter,
        queue=RecordingQueue(database),
        search=InMemorySearch(),
    )
    client = TestClient(Starlette(routes=build_api_routes(deps)))
    with database.session() as session:
        new = create_key(session, name="k", role=Role.VIEWER, project_id=None)
    response = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {new.secret}"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"  # rounded up, never early
    assert limiter.keys == [(f"api:key:{new.record.id}", 7, 60.0)]
