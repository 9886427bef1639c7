"""Throughput and latency of authenticated `/api/v1` requests through the ASGI app.

Run: python -m tests.bench.api_requests [--requests N] [--database-url URL]
Prints requests per second and p50/p95 latency for a read (task list) and a write (message).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bot.api.types import Role
from storage.sql import migrate
from storage.sql.database import Database
from storage.sql.models import Conversation, Project, Task
from tests.api.support import make_harness


def _measure(label: str, n: int, call: Callable[[], Any], expected: int) -> None:
    latencies = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        response = call()
        latencies.append(time.perf_counter() - t0)
        if response.status_code != expected:
            raise SystemExit(f"{label}: got {response.status_code}: {response.text}")
    elapsed = time.perf_counter() - start
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"{label:<28} {n / elapsed:8.0f} req/s   p50 {statistics.median(latencies) * 1000:6.2f} ms"
        f"   p95 {p95 * 1000:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument(
        "--postgres-url", help="run on PostgreSQL (a scratch schema is created and dropped)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        schema = f"bench_api_{os.getpid()}"
        admin = create_engine(args.postgres_url or url, isolation_level="AUTOCOMMIT")
        if args.postgres_url:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
        try:
            _run(Database(url), args.requests)
        finally:
            if args.postgres_url:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _run(database: Database, requests: int) -> None:
    migrate.upgrade(database)
    with database.session() as session:
        project = Project(name="bench/app")
        session.add(project)
        session.flush()
        session.add_all([Task(project_id=project.id, kind="plan") for _ in range(200)])
        conversation = Conversation(project_id=project.id, kind="chat", external_ref="b")
        session.add(conversation)
        session.flush()
        project_id, conversation_id = project.id, conversation.id
    api = make_harness(database)
    api.client.__enter__()  # one event loop for the whole run, as a server would have
    headers = api.auth(api.key(Role.MEMBER, project_id))
    messages = f"/api/v1/projects/{project_id}/conversations/{conversation_id}/messages"
    print(f"database: {database.dialect}, {requests} requests each (in-process ASGI client)")
    _measure(
        "GET /tasks?limit=50",
        requests,
        lambda: api.client.get("/api/v1/tasks?limit=50", headers=headers),
        200,
    )
    _measure(
        "POST .../messages (audited)",
        requests,
        lambda: api.client.post(messages, json={"content": "hi"}, headers=headers),
        201,
    )
    api.client.__exit__(None, None, None)
    database.dispose()


if __name__ == "__main__":
    main()
