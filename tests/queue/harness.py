"""One driver per queue backend, so the same contract tests run on both."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from redis import Redis
from rq import SimpleWorker

from bot.queue.base import TaskQueue
from bot.queue.inprocess import InProcessQueue
from bot.queue.reaper import Reaper
from bot.queue.registry_factory import build_handlers
from bot.queue.rq_backend import RQTaskQueue, bind_runner, unbind_runner
from bot.queue.wiring import build_inprocess_queue, build_runner, build_store
from bot.settings import Settings, load_settings
from storage.side_effects import SideEffects
from storage.sql.database import Database
from storage.tasks import TaskStore


class Harness(Protocol):
    store: TaskStore
    side_effects: SideEffects
    settings: Settings

    @property
    def queue(self) -> TaskQueue: ...

    def run_until_idle(self, timeout: float) -> bool: ...


def queue_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "task_lease_seconds": 1.0,
        "task_reaper_interval_seconds": 0.1,
        "task_retry_base_seconds": 0.01,
        "task_retry_max_seconds": 0.05,
        "worker_threads": 4,
    }
    values.update(overrides)
    return load_settings(**values)


class InProcessHarness:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.pool: InProcessQueue = build_inprocess_queue(
            settings, database, build_handlers(settings)
        )
        self.store = self.pool.store
        self.side_effects = SideEffects(database)

    @property
    def queue(self) -> TaskQueue:
        return self.pool

    def run_until_idle(self, timeout: float) -> bool:
        return self.pool.run_until_idle(timeout)


class RQHarness:
    """Runs an RQ SimpleWorker in burst mode in this thread, the way rq's own tests do,
    with the reaper in the background as `codemonkey worker` runs it."""

    def __init__(self, settings: Settings, database: Database, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis
        self.rq = RQTaskQueue(redis, f"test-{uuid.uuid4().hex[:12]}")
        self.store = build_store(settings, database)
        self.side_effects = SideEffects(database)
        self.runner = build_runner(
            settings, database, self.store, build_handlers(settings), self.rq
        )
        self.reaper = Reaper(
            self.store, self.rq, interval_seconds=settings.task_reaper_interval_seconds
        )

    @property
    def queue(self) -> TaskQueue:
        return self.rq

    def run_until_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._burst()
            if self.rq.depth() == 0 and self.store.count_unfinished() == 0:
                return True
            self.reaper.reap_once()
            time.sleep(0.02)
        return False

    def _burst(self) -> None:
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            SimpleWorker([self.rq.rq_queue], connection=self.redis).work(
                burst=True, logging_level="WARNING"
            )
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    @contextmanager
    def running(self) -> Iterator[RQHarness]:
        bind_runner(self.runner)
        self.reaper.start()
        try:
            yield self
        finally:
            self.reaper.stop()
            unbind_runner()
            self.runner.close()
            self.rq.rq_queue.delete(delete_jobs=True)
            markers = list(self.redis.scan_iter(f"codemonkey:rq:{self.rq.name}:*"))
            if markers:
                self.redis.delete(*markers)
