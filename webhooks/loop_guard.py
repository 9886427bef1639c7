"""Keeping the bot from fixing the same pull request forever.

Ingress drops every event the bot's own user caused (`webhooks.routing`), but a loop can
still close outside it: the bot pushes a fix, the repository's CI (a bot the config allows,
or a person re-running it) fails again, `check_run.completed` starts another fix, and so on.
Workers ask `LoopGuard.allow` before such an automatic change, which caps them per pull
request per hour; past the cap the task ends without acting.
"""

from __future__ import annotations

from storage.kv.base import RateLimiter

HOUR = 3600.0


class LoopGuard:
    def __init__(self, counter: RateLimiter, *, max_per_hour: int = 3) -> None:
        self._counter = counter
        self._limit = max_per_hour

    def allow(self, repo: str, number: int) -> bool:
        """Count one automatic change on `repo#number`; False past the hourly cap."""
        decision = self._counter.hit(
            f"loop-guard:{repo.lower()}#{number}", limit=self._limit, window_seconds=HOUR
        )
        return decision.allowed
