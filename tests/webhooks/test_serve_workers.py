"""`codemonkey serve --workers 2`: two server processes on one port keep delivery dedup,
and the command refuses settings the processes could not share."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from bot.commands.serve import run
from bot.settings import Settings
from storage.sql.database import Database
from storage.sql.models import Task, WebhookDelivery
from tests.bench.gateway_services import Running, base_env, free_port, start, stop
from tests.conftest import REDIS_URL, fresh_postgres_database
from tests.webhooks.support import SECRET, example, signed_headers

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres() -> Iterator[Database]:
    yield from fresh_postgres_database()


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def _serve(tmp_path: Path, database: Database, queue_name: str) -> Running:
    config = tmp_path / "codemonkey.yml"
    config.write_text("")
    port = free_port()
    env = base_env(
        PYTHONPATH=str(REPO_ROOT),
        CODEMONKEY_CONFIG=str(config),
        CODEMONKEY_DATA_DIR=str(tmp_path / "data"),
        CODEMONKEY_DATABASE_URL=database.url.render_as_string(hide_password=False),
        CODEMONKEY_REDIS_URL=REDIS_URL,
        CODEMONKEY_QUEUE_NAME=queue_name,
        CODEMONKEY_WEBHOOK_SECRET=SECRET,
        CODEMONKEY_LOG_LEVEL="WARNING",
    )
    argv = [sys.executable, "-m", "bot", "serve", "--workers", "2", "--port", str(port)]
    return start(
        "codemonkey serve --workers 2",
        argv,
        env=env,
        log_path=tmp_path / "serve.log",
        port=port,
        ready_path="/healthz",
        timeout=120,
    )


async def _deliver_copies(base_url: str, copies: int) -> list[httpx.Response]:
    payload = example("issues", "labeled")
    payload["label"]["name"] = "codemonkey"
    # A body of its own: Redis remembers bodies across runs (the replay check).
    payload["issue"]["body"] = f"Run {uuid.uuid4()}"
    body = json.dumps(payload).encode()
    headers = signed_headers(body, "issues", str(uuid.uuid4()))
    limits = httpx.Limits(max_connections=copies)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/webhooks/github", content=body, headers=headers) for _ in range(copies))
        )


def test_two_server_processes_turn_concurrent_copies_into_one_task(
    tmp_path: Path, postgres: Database
) -> None:
    queue_name = f"test-workers-{uuid.uuid4().hex[:8]}"
    running = _serve(tmp_path, postgres, queue_name)
    try:
        assert len(_children(running.process.pid)) >= 2, "uvicorn did not start 2 workers"
        responses = asyncio.run(_deliver_copies(running.base_url, 20))
    finally:
        stop(running)
        with Redis.from_url(REDIS_URL) as redis:
            Queue(queue_name, connection=redis).delete(delete_jobs=True)
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["duplicate"] * 19 + ["queued"], sorted({r.text[:300] for r in responses})
    with postgres.session() as session:
        rows = session.scalars(select(WebhookDelivery)).all()
        tasks = session.scalars(select(Task)).all()
    assert len(rows) == 1 and len(tasks) == 1
    assert rows[0].task_ids == [tasks[0].id]


@pytest.mark.parametrize(
    ("database_url", "redis_url", "missing"),
    [
        (None, None, "CODEMONKEY_DATABASE_URL (PostgreSQL) and CODEMONKEY_REDIS_URL"),
        ("postgresql+psycopg://db/x", None, "CODEMONKEY_REDIS_URL"),
        ("sqlite:///x.db", "redis://r:6379/0", "CODEMONKEY_DATABASE_URL (PostgreSQL)"),
    ],
)
def test_several_workers_need_a_shared_database_and_redis(
    database_url: str | None,
    redis_url: str | None,
    missing: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(database_url=database_url, redis_url=redis_url)
    args = argparse.Namespace(host=None, port=None, workers=2)
    assert run(settings, args) == 2
    assert f"--workers 2 needs {missing}:" in capsys.readouterr().err
