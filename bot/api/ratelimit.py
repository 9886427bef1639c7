"""The API's rate limit per key, counted by the one `RateLimiter` contract of `storage.kv`
(in process by default, on Redis with several processes or machines)."""

from __future__ import annotations

from bot.api.errors import RateLimited
from bot.api.types import Principal
from storage.kv.base import RateDecision, RateLimiter

# Limits are configured per minute (`api_rate_limit_per_minute`).
WINDOW_SECONDS = 60.0


def enforce_rate_limit(limiter: RateLimiter, principal: Principal, per_minute: int) -> RateDecision:
    """Count one request for the caller's key; raises `RateLimited` (429) when over the limit.

    Shared by `/api/v1` and the OpenAI-compatible `/v1` routes, so a key has one budget.
    """
    decision = limiter.hit(
        f"api:key:{principal.key_id}", limit=per_minute, window_seconds=WINDOW_SECONDS
    )
    if not decision.allowed:
        raise RateLimited(decision.retry_after_seconds)
    return decision
