"""Keyset pagination: stable under inserts, unlike offsets, and cheap on large tables.

A cursor is the sort key of the last row of a page, wrapped so clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.api.errors import FieldError, ValidationFailed

T = TypeVar("T")


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected: type[int] | type[str]) -> int | str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, expected) or isinstance(value, bool):
        raise ValidationFailed(
            [
                FieldError(
                    "cursor",
                    "query",
                    "not a cursor from this list; pass `next_cursor` from the previous page",
                )
            ]
        )
    return value


def fetch_page(
    session: Session,
    statement: Select[T],
    key: InstrumentedAttribute[Any],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """Rows after `cursor` ordered by `key` (unique), and the cursor of the next page."""
    if cursor is not None:
        python_type = int if key.type.python_type is int else str
        after = decode_cursor(cursor, python_type)
        statement = statement.where(key < after if descending else key > after)
    statement = statement.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows = list(session.scalars(statement))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(getattr(rows[-1], key.key))
