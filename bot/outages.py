"""Backend outages: the database or Redis not answering.

Requests that need a backend which is down get a 503 with `Retry-After` (in the route's
own error shape), never a 500: the client did nothing wrong and may retry, and GitHub
shows a 503 delivery as failed so it can be redelivered.
"""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError

from storage.kv import KvError

# Seconds a client is asked to wait before retrying.
RETRY_AFTER_SECONDS = 30

OUTAGE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, KvError)

# The exceptions carry connection details; the caller gets this instead.
OUTAGE_MESSAGE = (
    "a backend service (database or Redis) is unavailable; retry after the delay in "
    "Retry-After. Operators: run `codemonkey doctor` to see which one and how to fix it"
)


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def retry_after_header() -> dict[str, str]:
    return {"retry-after": str(RETRY_AFTER_SECONDS)}
