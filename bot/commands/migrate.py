"""`codemonkey migrate`: bring the database schema up to date (or to a given revision)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings, redact_url
from storage.sql import migrate
from storage.sql.database import Database


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "migrate", help="apply database migrations (SQLite or PostgreSQL)"
    )
    parser.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    parser.add_argument(
        "--downgrade", action="store_true", help="move down to REVISION instead of up"
    )
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.effective_database_url)
    try:
        if args.downgrade:
            migrate.downgrade(database, args.revision)
        else:
            migrate.upgrade(database, args.revision)
        print(
            f"{redact_url(settings.effective_database_url)}: "
            f"at revision {migrate.current_revision(database) or 'base'}"
        )
    finally:
        database.dispose()
    return 0
