"""`codemonkey serve`: the webhook receiver and the HTTP APIs (and, in embedded mode, the
workers, in this process)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.app import create_app
from bot.database import DatabaseNotReadyError
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from bot.settings import Settings
from storage.extras import require_all

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the webhook receiver and the HTTP APIs"
    )
    parser.add_argument("--host", help="bind address (default: CODEMONKEY_HOST)")
    parser.add_argument("--port", type=int, help="port (default: CODEMONKEY_PORT)")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    # Checked first, all at once: a core install (the Action's) lacks the server, and the
    # semantic index unless it is turned off.
    needed = ["uvicorn"] if settings.semantic_index is False else ["uvicorn", "chromadb"]
    require_all(
        needed,
        "this command",
        "" if len(needed) == 1 else " (or CODEMONKEY_SEMANTIC_INDEX=false for text search only)",
    )
    import uvicorn

    try:
        services = build_services(settings, register_handlers)
    except DatabaseNotReadyError as exc:
        print(f"codemonkey serve: {exc}", file=sys.stderr)
        return 2
    host, port = args.host or settings.host, args.port or settings.port
    mode = "embedded" if services.embedded_queue is not None else "rq"
    log.info("serving", extra={"fields": {"host": host, "port": port, "queue": mode}})
    uvicorn.run(create_app(services), host=host, port=port, log_config=None, access_log=False)
    return 0
