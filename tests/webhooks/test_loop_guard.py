"""Loop safety: own events and a per-thread hourly cap on bot comments."""

from __future__ import annotations

from storage.kv.base import RateLimiter
from storage.kv.memory import MemoryRateLimiter
from webhooks.loop_guard import LoopGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_own_user_is_recognised() -> None:
    guard = LoopGuard(MemoryRateLimiter(), app_slug="codemonkey")
    assert guard.is_own("codemonkey[bot]")
    assert guard.is_own("CodeMonkey[bot]")
    assert not guard.is_own("codemonkey")
    assert not guard.is_own(None)


def test_comments_per_thread_are_capped_per_hour() -> None:
    clock = Clock()
    limiter: RateLimiter = MemoryRateLimiter(clock=clock)
    guard = LoopGuard(limiter, app_slug="codemonkey", max_comments_per_hour=3)
    decisions = [guard.allow_comment("o/r", 7) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].retry_after_seconds == 3600
    assert guard.allow_comment("o/r", 8).allowed, "other threads have their own budget"
    clock.now = 1800
    assert not guard.allow_comment("o/r", 7).allowed
    clock.now = 3600.5
    assert guard.allow_comment("o/r", 7).allowed
