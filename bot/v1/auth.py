"""API-key authentication and rate limiting for `/v1`, answered in OpenAI's error shape.

The checks are the ones `/api/v1` uses (same keys, same per-key budget); only the error
body differs, because OpenAI clients parse `{"error": {"message", "type", ...}}`.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bot.api.auth import authenticate
from bot.api.errors import ApiError, RateLimited, lookup
from bot.api.ratelimit import enforce_rate_limit
from bot.api.types import Principal, RateLimiter
from bot.v1.errors import OpenAIError
from bot.v1.routes import Authenticator
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


def key_authenticator(database: Database, limiter: RateLimiter, per_minute: int) -> Authenticator:
    async def authenticate_request(request: Request) -> Principal:
        try:
            principal = await run_in_threadpool(
                authenticate, database, request.headers.get("authorization")
            )
            enforce_rate_limit(limiter, principal, per_minute)
        except ApiError as exc:
            raise to_openai_error(exc) from None
        return principal

    return authenticate_request
