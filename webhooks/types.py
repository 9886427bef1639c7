"""Contracts the webhooks package needs from elsewhere, declared here so it imports no
implementation: the rate limiter (implemented on Redis in `storage.kv`, in memory in
`webhooks.ratelimit`) and the decision it returns, and the ledger of trust refusals (in SQL
and in memory in `webhooks.trust`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after_seconds: float


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: float) -> RateDecision:
        """Count one event under `key`; allowed while fewer than `limit` fell in the window."""
        ...


class RefusalLedger(Protocol):
    def first_refusal(self, key: str) -> bool:
        """Record a refusal; True only the first time `key` is recorded."""
        ...
