"""Opening the database the way every command and the service do."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings, redact_url
from storage.sql import migrate
from storage.sql.database import Database


class DatabaseNotReadyError(Exception):
    """The production database is behind the code's migrations."""


def open_database(settings: Settings) -> Database:
    """Open the configured database.

    The embedded SQLite database migrates itself, so `codemonkey serve` works on a fresh
    machine. A server database is only checked: migrations there are an operator's step
    (`codemonkey migrate`), never a side effect of starting a web process.
    """
    database = Database(settings.effective_database_url)
    if database.is_sqlite:
        if database.url.database:
            Path(database.url.database).parent.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(database)
    elif not migrate.is_up_to_date(database):
        current = migrate.current_revision(database) or "empty"
        database.dispose()
        raise DatabaseNotReadyError(
            f"{redact_url(settings.effective_database_url)} is at revision {current}, "
            f"the code needs {migrate.head_revision(database)}: run `codemonkey migrate`"
        )
    return database
