"""JSON from untrusted request bodies, parsed within bounds every route shares.

`json.loads` alone turns hostile input into server errors: deep nesting raises
`RecursionError`, a 5,000-digit number raises a plain `ValueError`, and an integer beyond
64 bits parses fine and then overflows the database. Here each becomes `JsonRejected`,
which the routes answer with a 400.
"""

from __future__ import annotations

import json
from typing import Any

# GitHub payloads nest about 10 levels, chat requests with tool schemas a few dozen.
MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class JsonRejected(ValueError):
    """The body is not JSON the service accepts; the message says what to change."""


def _bounded_int(text: str) -> int:
    # Checked on the digits before int() converts them: a huge literal costs nothing.
    if len(text.lstrip("-")) > 19 or not INT64_MIN <= (value := int(text)) <= INT64_MAX:
        raise JsonRejected(
            f"a number in the body does not fit in 64 bits ({text[:24]}...); send integers "
            f"between {INT64_MIN} and {INT64_MAX}"
        )
    return value


def parse_json(raw: bytes | bytearray | str) -> Any:
    """The decoded value; `JsonRejected` for invalid JSON, nesting deeper than MAX_DEPTH,
    or an integer outside the signed 64-bit range."""
    try:
        value = json.loads(raw, parse_int=_bounded_int)
    except JsonRejected:
        raise
    except RecursionError:
        raise JsonRejected(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise JsonRejected(f"the body is not valid JSON ({exc})") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise JsonRejected(f"the body nests deeper than {MAX_DEPTH} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Iterative, so a deep value cannot exhaust the stack while it is being measured."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def int64_or_none(text: str) -> int | None:
    """A path or query value as a 64-bit integer, or None when it is not one."""
    stripped = text.lstrip("-")
    if not stripped.isdigit() or len(stripped) > 19:
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None
