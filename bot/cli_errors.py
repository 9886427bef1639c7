"""The one place where the command line turns known failures into one line with the fix.

Commands let these errors rise; `main()` prints `explain(error)` and exits non-zero, or
re-raises with `--debug`. The driver packages are imported only here, when something has
already failed, so that starting a command does not pay for them.
"""

from __future__ import annotations

import sys

from agents.providers.redact import redact_url
from bot.open_database import DatabaseNotReadyError
from bot.settings import Settings, SettingsError
from storage.extras import MissingExtraError, missing_extra_message


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from storage.sql.migrate import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def explain(error: BaseException, settings: Settings | None) -> str | None:
    """One line saying what failed and how to fix it, or None for an unexpected error."""
    if isinstance(error, SettingsError | DatabaseNotReadyError | MissingExtraError):
        return str(error)
    if isinstance(error, ModuleNotFoundError):
        # e.g. a PostgreSQL URL on a core install: SQLAlchemy imports psycopg on first use.
        return missing_extra_message(error)
    database = redact_url(settings.effective_database_url) if settings else "the database"
    redis_url = redact_url(settings.redis_url) if settings and settings.redis_url else "Redis"

    from alembic.util.exc import CommandError
    from sqlalchemy.exc import NoSuchTableError, OperationalError, ProgrammingError

    if isinstance(error, CommandError):
        return (
            f"migration failed: {_first_line(error)}; run `codemonkey migrate` for the "
            f"newest schema, or name one of the revisions: {', '.join(_revisions())}"
        )
    # Only a process that loaded the Redis client (the `server` extra) can fail in it.
    redis_errors = sys.modules.get("redis.exceptions")
    if redis_errors is not None and isinstance(
        error, redis_errors.ConnectionError | redis_errors.TimeoutError
    ):
        return (
            f"cannot reach Redis at {redis_url} ({_first_line(error)}); start Redis or fix "
            "CODEMONKEY_REDIS_URL (unset it to run the queue inside `codemonkey serve`)"
        )
    if isinstance(error, ProgrammingError | NoSuchTableError) or (
        isinstance(error, OperationalError) and "no such table" in _first_line(error)
    ):
        return (
            f"{database} has no CodeMonkey schema ({_first_line(error)}); run `codemonkey migrate`"
        )
    if isinstance(error, OperationalError):
        return (
            f"cannot reach the database {database} ({_first_line(error)}); start it or fix "
            "CODEMONKEY_DATABASE_URL"
        )
    return None
