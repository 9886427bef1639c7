"""Webhook ingress throughput and latency for signed deliveries.

Three servers, each a real uvicorn process, driven by one httpx client process:
- `bare`: a Starlette route that returns 202 without doing anything (the floor);
- `sqlite`: the webhook route on embedded SQLite with an in-process queue;
- `postgres+rq`: the webhook route on PostgreSQL, enqueueing task ids with RQ on Redis.

Every request is a distinct signed `issue_comment` delivery mentioning the bot, so each
one records a delivery row and creates and enqueues one task.

Run: python -m tests.bench.bench_webhooks [--requests N] [--concurrency C] [--workers W]
(`--workers 2` serves every scenario, the bare route included, with that many uvicorn
processes, as `codemonkey serve --workers 2` does.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from redis import Redis
from rq import Queue
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.queue.rq_backend import RQTaskQueue
from bot.routes.webhooks import WebhookDeps, webhook_route
from storage.sql import migrate
from storage.sql.database import Database
from tests.conftest import POSTGRES_URL, REDIS_URL
from webhooks.ingest import IngestConfig
from webhooks.repo_config import RepoConfig
from webhooks.signature import sign

SECRET = "bench-secret"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "issue_comment.json"


class ListQueue:
    """The embedded stand-in: ids kept in memory (no worker consumes them here)."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, task_ids: Iterable[int]) -> None:
        self.ids.extend(task_ids)

    def depth(self) -> int:
        return len(self.ids)


async def _accepted(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"outcome": "queued"}, status_code=202)


def _build(scenario: str, db_url: str | None, queue_name: str) -> Starlette:
    if scenario == "bare":
        return Starlette(routes=[Route("/webhooks/github", _accepted, methods=["POST"])])
    assert db_url is not None
    database = Database(db_url)
    # The production RQ queue (jobs and their markers in one pipeline).
    queue: ListQueue | RQTaskQueue = (
        RQTaskQueue(Redis.from_url(REDIS_URL), queue_name)
        if scenario == "postgres+rq"
        else ListQueue()
    )
    deps = WebhookDeps(
        database=database,
        queue=queue,
        secret=SecretStr(SECRET),
        ingest=IngestConfig(app_slug="codemonkey", defaults=RepoConfig.defaults()),
    )
    return Starlette(routes=[webhook_route(deps)])


_ENV = "CODEMONKEY_BENCH_WEBHOOKS"


def app_from_env() -> Starlette:
    """The app factory each uvicorn worker process calls (multi-worker runs)."""
    scenario, db_url, queue_name = json.loads(os.environ[_ENV])
    return _build(scenario, db_url, queue_name)


def _serve(scenario: str, port: int, db_url: str | None, queue_name: str) -> None:
    app = _build(scenario, db_url, queue_name)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _start_workers(
    scenario: str, port: int, db_url: str | None, queue_name: str, workers: int
) -> subprocess.Popen[bytes]:
    """uvicorn's own supervisor with `workers` processes, as `serve --workers` runs it (a
    process of its own: uvicorn's workers need the stdin a multiprocessing child lacks)."""
    env = {**os.environ, _ENV: json.dumps([scenario, db_url, queue_name])}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "tests.bench.bench_webhooks:app_from_env",
        f"--workers={workers}",
        "--host=127.0.0.1",
        f"--port={port}",
        "--log-level=warning",
        "--no-access-log",
    ]
    return subprocess.Popen(command, env=env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def _requests(count: int, first: int = 0) -> list[tuple[bytes, dict[str, str]]]:
    """Distinct bodies: the same body under a new delivery id is a replay (answered 200)."""
    payload: dict[str, Any] = json.loads(FIXTURE.read_text())[0]
    out = []
    for index in range(first, first + count):
        payload["comment"]["body"] = f"@codemonkey reviewer question {index}"
        payload["comment"]["id"] = 10_000 + index
        body = json.dumps(payload).encode()
        out.append(
            (
                body,
                {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "issue_comment",
                    "X-GitHub-Delivery": str(uuid.uuid4()),
                    "X-Hub-Signature-256": sign(SECRET.encode(), body),
                },
            )
        )
    return out


async def _drive(base_url: str, count: int, concurrency: int) -> dict[str, float]:
    work = _requests(count)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        for body, headers in _requests(
            10, first=count
        ):  # warm-up: connections, pools, first inserts
            await client.post("/webhooks/github", content=body, headers=headers)
        pending = iter(work)

        async def worker() -> None:
            for body, headers in pending:
                start = time.perf_counter()
                response = await client.post("/webhooks/github", content=body, headers=headers)
                latencies.append(time.perf_counter() - start)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    if set(statuses) != {202}:
        raise RuntimeError(f"unexpected statuses {statuses}")
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rps": count / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": max(latencies) * 1000,
    }


def _run(
    scenario: str, db_url: str | None, queue_name: str, count: int, conc: int, workers: int
) -> dict[str, float]:
    port = _free_port()
    if workers > 1:
        server = _start_workers(scenario, port, db_url, queue_name, workers)
        try:
            _wait_for(port)
            return asyncio.run(_drive(f"http://127.0.0.1:{port}", count, conc))
        finally:
            server.terminate()
            server.wait(20)
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(scenario, port, db_url, queue_name), daemon=True
    )
    process.start()
    try:
        _wait_for(port)
        return asyncio.run(_drive(f"http://127.0.0.1:{port}", count, conc))
    finally:
        process.terminate()
        process.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes per server")
    args = parser.parse_args()
    load_before = os.getloadavg()
    run = {"count": args.requests, "conc": args.concurrency, "workers": args.workers}

    results: dict[str, dict[str, float]] = {}
    results["bare"] = _run("bare", None, "", **run)

    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(sqlite_url)
        migrate.upgrade(database)
        database.dispose()
        results["sqlite"] = _run("sqlite", sqlite_url, "", **run)

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    queue_name = f"bench-webhooks-{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        database = Database(pg_url)
        migrate.upgrade(database)
        database.dispose()
        results["postgres+rq"] = _run("postgres+rq", pg_url, queue_name, **run)
        queued = Queue(queue_name, connection=Redis.from_url(REDIS_URL))
        jobs = queued.count
        queued.delete(delete_jobs=True)
        markers = queued.connection.keys(f"codemonkey:rq:{queue_name}:task:*")
        if markers:
            queued.connection.delete(*markers)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    load_after = os.getloadavg()
    print(
        f"{args.requests} signed deliveries per server, concurrency {args.concurrency}, "
        f"{args.workers} uvicorn process(es) per server"
    )
    print(f"load average before {_load(load_before)}, after {_load(load_after)}")
    print(f"{'server':<14} {'req/s':>8} {'of bare':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    bare_rps = results["bare"]["rps"]
    for name, figures in results.items():
        print(
            f"{name:<14} {figures['rps']:>8.0f} {figures['rps'] / bare_rps:>8.0%} "
            f"{figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['max_ms']:>8.1f}"
        )
    print(f"RQ jobs enqueued: {jobs} (expected {args.requests + 10})")


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    main()
