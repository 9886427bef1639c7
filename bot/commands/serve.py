"""`codemonkey serve`: the webhook receiver and the HTTP APIs (and, in embedded mode, the
workers, in this process)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.app import create_app
from bot.open_database import DatabaseNotReadyError, open_database
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from bot.settings import Settings
from storage.extras import require_all

log = logging.getLogger(__name__)

APP_FACTORY = "bot.asgi:app_from_environment"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the webhook receiver and the HTTP APIs"
    )
    parser.add_argument("--host", help="bind address (default: CODEMONKEY_HOST)")
    parser.add_argument("--port", type=int, help="port (default: CODEMONKEY_PORT)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (more than 1 needs CODEMONKEY_DATABASE_URL "
        "and CODEMONKEY_REDIS_URL, which the processes share)",
    )
    parser.set_defaults(handler=run)


def shared_backends_problem(settings: Settings, workers: int) -> str | None:
    """Why `workers` processes cannot serve these settings, or None.

    Delivery dedup is a unique row in SQL and the replay check and rate limits live in the
    key-value store: several processes keep those guarantees only if they share a database
    server and Redis. (Embedded SQLite and the in-memory store are per process, and the
    embedded task pool would run in every process.)"""
    if workers < 1:
        return f"--workers must be at least 1, got {workers}"
    if workers == 1:
        return None
    missing = [
        name
        for name, value in (
            ("CODEMONKEY_DATABASE_URL (PostgreSQL)", settings.database_url),
            ("CODEMONKEY_REDIS_URL", settings.redis_url),
        )
        if value is None or value.startswith("sqlite")
    ]
    if not missing:
        return None
    return (
        f"--workers {workers} needs {' and '.join(missing)}: the server processes share "
        "delivery dedup, replay checks, rate limits and the task queue through them; set "
        "them, or serve with one process (and run `codemonkey worker` for the tasks)"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    # Checked first, all at once: a core install (the Action's) lacks the server, and the
    # semantic index unless it is turned off.
    needed = ["uvicorn"] if settings.semantic_index is False else ["uvicorn", "chromadb"]
    if settings.gateway_mode:
        needed.append("aiohttp")  # the raw pass-through's upstream client
    require_all(
        needed,
        "this command",
        " (or CODEMONKEY_SEMANTIC_INDEX=false for text search only)"
        if "chromadb" in needed
        else "",
    )
    import uvicorn

    host, port = args.host or settings.host, args.port or settings.port
    problem = shared_backends_problem(settings, args.workers)
    if problem is not None:
        print(f"codemonkey serve: {problem}", file=sys.stderr)
        return 2
    if args.workers > 1:
        try:
            # Checked once here, so an unmigrated database is one clear error, not every
            # process failing at start.
            open_database(settings).dispose()
        except DatabaseNotReadyError as exc:
            print(f"codemonkey serve: {exc}", file=sys.stderr)
            return 2
        log.info("serving", extra={"fields": {"host": host, "port": port, "workers": args.workers}})
        # Each process builds its own services from the environment (bot.asgi).
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            workers=args.workers,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
        )
        return 0
    try:
        services = build_services(settings, register_handlers)
    except DatabaseNotReadyError as exc:
        print(f"codemonkey serve: {exc}", file=sys.stderr)
        return 2
    mode = "embedded" if services.embedded_queue is not None else "rq"
    log.info("serving", extra={"fields": {"host": host, "port": port, "queue": mode}})
    uvicorn.run(create_app(services), host=host, port=port, log_config=None, access_log=False)
    return 0
