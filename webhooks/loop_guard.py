"""Keeping the bot from talking to itself (or to another bot) forever.

Two layers: ingress drops every event whose sender is the bot's own user (see
`webhooks.routing`), and workers ask `LoopGuard.allow_comment` before each comment they post
on an issue or pull request, which caps bot comments per thread per hour.
"""

from __future__ import annotations

from storage.kv.base import RateDecision, RateLimiter

HOUR = 3600.0


class LoopGuard:
    def __init__(
        self, limiter: RateLimiter, *, app_slug: str, max_comments_per_hour: int = 10
    ) -> None:
        self._limiter = limiter
        self._bot_login = f"{app_slug}[bot]".lower()
        self._limit = max_comments_per_hour

    def is_own(self, login: str | None) -> bool:
        """True for events the bot's own user caused."""
        return login is not None and login.lower() == self._bot_login

    def allow_comment(self, repo: str, number: int) -> RateDecision:
        """Count one bot comment on `repo#number`; refused past the hourly limit."""
        return self._limiter.hit(
            f"loop-guard:{repo.lower()}#{number}", limit=self._limit, window_seconds=HOUR
        )
