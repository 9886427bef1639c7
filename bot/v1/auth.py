"""API-key authentication and rate limiting for `/v1`, answered in OpenAI's error shape.

The checks are the ones `/api/v1` uses (same keys, same per-key budget); only the error
body differs, because OpenAI clients parse `{"error": {"message", "type", ...}}`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bot.api.auth import authenticate
from bot.api.errors import ApiError, Forbidden, RateLimited, lookup
from bot.api.ratelimit import enforce_rate_limit
from bot.api.types import Principal, Role
from bot.outages import OUTAGE_ERRORS
from bot.v1.errors import OpenAIError
from bot.v1.provider_errors import backend_unavailable
from bot.v1.routes import Authenticator
from storage.kv.base import RateLimiter
from storage.sql.database import Database

_OPENAI_TYPES = {
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "permission_denied"),
    404: ("invalid_request_error", "not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def to_openai_error(exc: ApiError) -> OpenAIError:
    status, code = lookup(exc) or (400, "invalid_request")
    error_type, openai_code = _OPENAI_TYPES.get(status, ("invalid_request_error", code))
    headers = {}
    if isinstance(exc, RateLimited):
        headers["retry-after"] = str(max(1, round(exc.retry_after_seconds + 0.5)))
    return OpenAIError(status, str(exc), error_type=error_type, code=openai_code, headers=headers)


class PrincipalCache:
    """Remembers recently seen keys for a few seconds, keyed by the header's hash.

    A chat client sends many requests in a row; looking each key up in SQL would put a
    database round trip on every one. A revoked key stops working within `ttl_seconds`.
    """

    def __init__(self, ttl_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, authorization: str) -> Principal | None:
        entry = self._entries.get(_digest(authorization))
        if entry is None or entry[1] < self._clock():
            return None
        return entry[0]

    def put(self, authorization: str, principal: Principal) -> None:
        if len(self._entries) > 10_000:  # bounded: drop everything rather than grow
            self._entries.clear()
        self._entries[_digest(authorization)] = (principal, self._clock() + self._ttl)


def _digest(authorization: str) -> str:
    return hashlib.sha256(authorization.encode()).hexdigest()


def key_authenticator(
    database: Database,
    limiter: RateLimiter,
    per_minute: int,
    cache: PrincipalCache | None = None,
    *,
    required_role: Role = Role.VIEWER,
) -> Authenticator:
    """Authenticates `/v1` callers; `required_role` is the least role a key must hold
    (on its project, or globally) to get past it."""

    async def authenticate_request(request: Request) -> Principal:
        header = request.headers.get("authorization") or ""
        try:
            principal = cache.get(header) if cache is not None and header else None
            if principal is None:
                principal = await run_in_threadpool(authenticate, database, header)
                if cache is not None:
                    cache.put(header, principal)
            if not principal.role.includes(required_role):
                raise Forbidden(
                    f"this needs a key with the {required_role.value} role or above; the key "
                    f"has {principal.role.value}. Use a member or admin key"
                )
            enforce_rate_limit(limiter, principal, per_minute)
        except ApiError as exc:
            raise to_openai_error(exc) from None
        except OUTAGE_ERRORS:
            raise backend_unavailable() from None
        return principal

    return authenticate_request
