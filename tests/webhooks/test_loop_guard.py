"""Loop safety: automatic changes to one pull request are capped per hour."""

from __future__ import annotations

from storage.kv.memory import MemoryRateLimiter
from webhooks.loop_guard import LoopGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_changes_per_pull_request_are_capped_per_hour() -> None:
    clock = Clock()
    guard = LoopGuard(MemoryRateLimiter(clock=clock), max_per_hour=3)
    assert [guard.allow("o/r", 7) for _ in range(4)] == [True, True, True, False]
    assert guard.allow("O/R", 8), "other pull requests have their own budget"
    clock.now = 1800
    assert not guard.allow("o/r", 7)
    clock.now = 3600.5
    assert guard.allow("o/r", 7)


def test_the_services_rate_limiter_counts_for_it() -> None:
    guard = LoopGuard(MemoryRateLimiter(), max_per_hour=1)
    assert guard.allow("o/r", 1) and not guard.allow("o/r", 1)
