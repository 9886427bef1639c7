"""`codemonkey serve`: the webhook receiver and the HTTP APIs."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from bot.app import create_app
from bot.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the webhook receiver and the HTTP APIs"
    )
    parser.add_argument("--host", help="bind address (default: CODEMONKEY_HOST)")
    parser.add_argument("--port", type=int, help="port (default: CODEMONKEY_PORT)")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    app = create_app()
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        access_log=False,
    )
    return 0
