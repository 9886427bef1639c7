"""Throughput of the task queue: the in-process pool and RQ with 1 and 2 worker processes.

Run: `python -m tests.bench.bench_queue [--tasks 500]` from the repository root, with the
PostgreSQL and Redis of tests/conftest.py running. Each row pushes the same number of
`builtin.noop` tasks through claim -> handler -> complete, timed from the enqueue of the
first id until SQL holds no unfinished task. Tasks are created in SQL before the clock
starts; worker processes are started and registered before it starts too.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis
from rq import Worker
from sqlalchemy import create_engine, text

from bot.queue import builtin_handlers as builtin
from bot.queue.registry_factory import build_handlers
from bot.queue.rq_backend import RQTaskQueue
from bot.queue.wiring import build_inprocess_queue
from bot.settings import load_settings
from storage.sql import migrate
from storage.sql.database import Database
from storage.tasks import NewTask, TaskStore
from tests.conftest import POSTGRES_URL, REDIS_URL

REPO_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[Database]:
    if kind == "sqlite":
        db = Database(f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}")
        migrate.upgrade(db)
        yield db
        db.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        migrate.upgrade(db)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def create_tasks(store: TaskStore, n: int) -> list[int]:
    return [store.create(NewTask(kind=builtin.NOOP))[0].id for _ in range(n)]


def wait_done(store: TaskStore, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while store.count_unfinished():
        if time.monotonic() > deadline:
            raise TimeoutError("tasks did not finish; are the workers running?")
        time.sleep(0.05)


def bench_inprocess(db_kind: str, n: int, threads: int, workdir: Path) -> float:
    with fresh_database(db_kind, workdir) as db:
        settings = load_settings(data_dir=workdir, worker_threads=threads)
        pool = build_inprocess_queue(settings, db, build_handlers(settings))
        ids = create_tasks(pool.store, n)
        pool.start()
        try:
            start = time.perf_counter()
            pool.enqueue(ids)
            wait_done(pool.store)
            return time.perf_counter() - start
        finally:
            pool.stop(drain=False)


def bench_rq(db_kind: str, n: int, processes: int, fork: bool, workdir: Path) -> float:
    name = f"bench-{uuid.uuid4().hex[:12]}"
    redis: Redis = Redis.from_url(REDIS_URL)
    queue = RQTaskQueue(redis, name)
    with fresh_database(db_kind, workdir) as db:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "CODEMONKEY_DATABASE_URL": db.url.render_as_string(hide_password=False),
            "CODEMONKEY_REDIS_URL": REDIS_URL,
            "CODEMONKEY_QUEUE_NAME": name,
            "CODEMONKEY_DATA_DIR": str(workdir),
            "CODEMONKEY_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "bot", "worker", *(["--fork"] if fork else [])]
        procs = [
            subprocess.Popen(command, env=env, cwd=workdir, stderr=subprocess.DEVNULL)
            for _ in range(processes)
        ]
        try:
            while len(Worker.all(queue=queue.rq_queue)) < processes:
                time.sleep(0.05)
            ids = create_tasks(TaskStore(db), n)
            start = time.perf_counter()
            queue.enqueue(ids)
            wait_done(TaskStore(db))
            return time.perf_counter() - start
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
            queue.rq_queue.delete(delete_jobs=True)
            redis.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    args = parser.parse_args()
    n = args.tasks
    rows: list[tuple[str, str, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for db_kind in ("sqlite", "postgresql"):
            for threads in (1, 4):
                seconds = bench_inprocess(db_kind, n, threads, workdir)
                rows.append((f"in-process, {threads} thread(s)", db_kind, threads, seconds))
        for processes in (1, 2):
            seconds = bench_rq("postgresql", n, processes, fork=False, workdir=workdir)
            rows.append((f"RQ SimpleWorker x{processes}", "postgresql", processes, seconds))
        seconds = bench_rq("postgresql", n, 1, fork=True, workdir=workdir)
        rows.append(("RQ forking Worker x1", "postgresql", 1, seconds))
    print(f"{n} builtin.noop tasks per row (cpus: {os.cpu_count()})")
    header = f"{'backend':<28} {'database':<11} {'tasks/s':>9} {'wall ms/task':>13} "
    print(header + f"{'ms/task/worker':>15}")
    for label, db_kind, workers, seconds in rows:
        per_task = seconds * 1000 / n
        print(
            f"{label:<28} {db_kind:<11} {n / seconds:>9.1f} {per_task:>13.2f} "
            f"{per_task * workers:>15.2f}"
        )


if __name__ == "__main__":
    main()
