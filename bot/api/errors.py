"""The API's error hierarchy and the one table that maps each error to a status and code.

Every failure leaves the API as `{"error": {"code", "message", "fields"?}}`; handlers raise
the exceptions below (or let a database integrity error escape) and `error_response`
translates them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.responses import JSONResponse

from bot.outages import OUTAGE_ERRORS, OUTAGE_MESSAGE, retry_after_header


class ApiError(Exception):
    """Base of every error the API reports; the message tells the caller how to fix it."""


class Unauthenticated(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class MethodNotAllowed(ApiError):
    pass


class Conflict(ApiError):
    pass


class MalformedJson(ApiError):
    pass


class PayloadTooLarge(ApiError):
    pass


@dataclass(frozen=True)
class FieldError:
    field: str
    location: str  # "body", "query" or "path"
    message: str


class ValidationFailed(ApiError):
    def __init__(self, fields: list[FieldError]) -> None:
        super().__init__("the request is invalid; fix the fields listed in `fields`")
        self.fields = fields


class RateLimited(ApiError):
    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__(
            f"rate limit exceeded for this API key; retry after {retry_after_seconds:.0f} s"
        )
        self.retry_after_seconds = retry_after_seconds


# The one translation table: exception class -> (HTTP status, error code).
# Looked up along the exception's MRO, so subclasses inherit their parent's entry.
ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    MalformedJson: (400, "malformed_json"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    MethodNotAllowed: (405, "method_not_allowed"),
    Conflict: (409, "conflict"),
    IntegrityError: (409, "conflict"),
    PayloadTooLarge: (413, "payload_too_large"),
    ValidationFailed: (422, "validation_failed"),
    RateLimited: (429, "rate_limited"),
    **{outage: (503, "service_unavailable") for outage in OUTAGE_ERRORS},
}

# Database errors carry SQL and parameters; the caller gets a stable message instead.
_SAFE_MESSAGES: dict[type[Exception], str] = {
    IntegrityError: "the change conflicts with existing data (a duplicate name or a "
    "missing referenced row); change the conflicting value and retry",
    **{outage: OUTAGE_MESSAGE for outage in OUTAGE_ERRORS},
}


def lookup(exc: Exception) -> tuple[int, str] | None:
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return None


def error_body(code: str, message: str, fields: list[FieldError] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = [
            {"field": f.field, "in": f.location, "message": f.message} for f in fields
        ]
    return {"error": error}


def error_response(exc: Exception) -> JSONResponse | None:
    """The JSON response for a known error, or None for an unexpected one (a real bug)."""
    entry = lookup(exc)
    if entry is None:
        return None
    status, code = entry
    message = next((text for cls, text in _SAFE_MESSAGES.items() if isinstance(exc, cls)), str(exc))
    fields = exc.fields if isinstance(exc, ValidationFailed) else None
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["retry-after"] = str(max(1, math.ceil(exc.retry_after_seconds)))
    elif status == 503:
        headers.update(retry_after_header())
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)
