"""Contracts the webhooks package needs from elsewhere, declared here so it imports no
implementation: the ledger of trust refusals (in SQL and in memory in `webhooks.trust`).
Rate limits use the one contract in `storage.kv.base` (`RateLimiter`, `RateDecision`)."""

from __future__ import annotations

from typing import Protocol


class RefusalLedger(Protocol):
    def first_refusal(self, key: str) -> bool:
        """Record a refusal; True only the first time `key` is recorded."""
        ...
