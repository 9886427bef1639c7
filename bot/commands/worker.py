"""`codemonkey worker`: an RQ worker that runs task ids from Redis, plus the reaper."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from rq import SimpleWorker, Worker

from bot.queue.reaper import Reaper
from bot.queue.registry_factory import register_handlers
from bot.queue.rq_backend import bind_runner, unbind_runner
from bot.queue.wiring import build_rq_queue, build_runner, build_store
from bot.services import build_services
from bot.settings import Settings
from bot.workspace_sweep import sweep_workspaces, workspaces_root

log = logging.getLogger("codemonkey.worker")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "worker", help="run queued tasks from Redis (start as many as you like)"
    )
    parser.add_argument("--queue", help="queue name (default: CODEMONKEY_QUEUE_NAME)")
    parser.add_argument(
        "--fork",
        action="store_true",
        help="fork a work-horse process per task (RQ's classic model; slower, isolates "
        "memory leaks). Default: run tasks in the worker process",
    )
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.redis_url is None:
        print(
            "codemonkey worker: CODEMONKEY_REDIS_URL is not set. Set it to your Redis "
            "(e.g. redis://localhost:6379/0); without Redis, tasks run inside "
            "`codemonkey serve` and no worker is needed.",
            file=sys.stderr,
        )
        return 2
    services = build_services(settings, register_handlers)
    assert services.redis is not None  # redis_url is set
    redis = services.redis
    queue = build_rq_queue(settings, redis, args.queue)
    store = build_store(settings, services.database)
    runner = build_runner(settings, services.database, store, services.handlers, queue)
    if args.fork:
        # Pooled connections must not be shared with a forked work-horse.
        engine = services.database.engine
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    worker_class = Worker if args.fork else SimpleWorker
    worker = worker_class([queue.rq_queue], connection=redis)
    reaper = Reaper(store, queue, interval_seconds=settings.task_reaper_interval_seconds)
    # Checkouts that tasks finished while no worker here could remove them (it died).
    sweep_workspaces(workspaces_root(settings.data_dir), services.database)
    bind_runner(runner)
    reaper.start()
    log.info(
        "worker started",
        extra={"fields": {"queue": queue.name, "pid": os.getpid(), "fork": args.fork}},
    )
    try:
        worker.work(burst=args.burst, logging_level=settings.log_level)
    finally:
        reaper.stop()
        unbind_runner()
        runner.close()
        services.close()
    return 0
