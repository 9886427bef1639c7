"""`codemonkey migrate`: bring the database schema up to date (or to a given revision)."""

from __future__ import annotations

import argparse
import sys
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
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 0 when the schema is current, 1 when it needs migrating "
        "(for init containers that wait for the migration)",
    )
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.effective_database_url)
    try:
        if args.check:
            return _check(settings, database)
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


def _check(settings: Settings, database: Database) -> int:
    where = redact_url(settings.effective_database_url)
    current = migrate.current_revision(database) or "base"
    if migrate.is_up_to_date(database):
        print(f"{where}: at revision {current}, current")
        return 0
    print(
        f"{where}: at revision {current}, the code needs {migrate.head_revision(database)}; "
        "run `codemonkey migrate`",
        file=sys.stderr,
    )
    return 1
