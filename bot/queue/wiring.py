"""Assembles store, runner and queue from settings, for commands' main functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.queue.handlers import HandlerRegistry
from bot.queue.inprocess import InProcessQueue
from bot.queue.runner import TaskRunner
from bot.settings import Settings
from storage.side_effects import SideEffects
from storage.sql.database import Database
from storage.tasks import RetryPolicy, TaskStore

if TYPE_CHECKING:
    # Redis and RQ come with the `server` extra: imported only by who uses them.
    from redis import Redis

    from bot.queue.rq_backend import RQTaskQueue


def build_store(settings: Settings, database: Database) -> TaskStore:
    policy = RetryPolicy(settings.task_retry_base_seconds, settings.task_retry_max_seconds)
    return TaskStore(database, retry=policy)


def build_runner(
    settings: Settings,
    database: Database,
    store: TaskStore,
    handlers: HandlerRegistry,
    queue: InProcessQueue | RQTaskQueue,
) -> TaskRunner:
    return TaskRunner(
        store,
        handlers,
        SideEffects(database),
        queue,
        lease_seconds=settings.task_lease_seconds,
    )


def build_inprocess_queue(
    settings: Settings, database: Database, handlers: HandlerRegistry
) -> InProcessQueue:
    """The embedded backend; call `start()` on the result, `stop()` on shutdown."""
    store = build_store(settings, database)
    return InProcessQueue(
        store,
        lambda queue: build_runner(settings, database, store, handlers, queue),
        threads=settings.worker_threads,
        reaper_interval_seconds=settings.task_reaper_interval_seconds,
    )


def build_rq_queue(settings: Settings, redis: Redis, name: str | None = None) -> RQTaskQueue:
    """The producer side (webhook receiver, API): enqueue ids for `codemonkey worker`."""
    from bot.queue.rq_backend import RQTaskQueue

    return RQTaskQueue(redis, name or settings.queue_name)
