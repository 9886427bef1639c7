"""Retry policy for GitHub's REST API, plugged into PyGithub's urllib3-based `GithubRetry`.

GitHub's documented limits: a primary rate limit answers 403 or 429 with
`x-ratelimit-remaining: 0` and the reset time in `x-ratelimit-reset`; a secondary rate limit
answers 403 or 429, usually with `retry-after`, else "wait at least one minute". 5xx answers
are retried with exponential backoff. Any wait longer than `max_wait_seconds` raises
`RateLimitExceededExceedsMaxWait` instead of blocking a worker.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

from github import GithubRetry
from github.GithubException import RateLimitExceededExceedsMaxWait
from urllib3 import Retry
from urllib3.connectionpool import ConnectionPool
from urllib3.response import HTTPResponse

from bot.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    backoff_factor: float = 1.0
    backoff_max_seconds: float = 60.0
    secondary_wait_seconds: float = 60.0
    max_wait_seconds: float = 900.0
    seconds_between_requests: float | None = 0.25
    seconds_between_writes: float | None = 1.0
    """GitHub asks integrations to space out writes; tests against the fake set these to 0."""

    @staticmethod
    def from_settings(settings: Settings) -> RetryPolicy:
        return RetryPolicy(max_wait_seconds=settings.github_max_wait_seconds)

    def build(self) -> GitHubRetry:
        return GitHubRetry(
            secondary_rate_wait=self.secondary_wait_seconds,
            max_rate_limit_wait=self.max_wait_seconds,
            total=self.retries,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max_seconds,
            retry_after_max=int(self.max_wait_seconds) + 1,
            raise_on_status=False,
            status_forcelist=[429, *range(500, 600)],
            allowed_methods=frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"}),
        )


def rate_limit_wait(
    headers: Mapping[str, str], now: float, secondary_wait: float | None = None
) -> float | None:
    """Seconds to wait before retrying a 403/429, or None when it is not a rate limit."""
    retry_after = headers.get("retry-after")
    if retry_after is not None and retry_after.strip().isdigit():
        return float(retry_after)
    reset = headers.get("x-ratelimit-reset")
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None and reset.isdigit():
        # The reset is a whole second; waiting one more avoids arriving a moment early.
        return max(int(reset) - now, 0.0) + 1.0
    return secondary_wait


class GitHubRetry(GithubRetry):
    """`GithubRetry` that also reads the rate-limit headers of 429s and caps every wait."""

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        if response is None or response.status not in (403, 429):
            return super().increment(method, url, response, error, _pool, _stacktrace)
        headers = {k.lower(): v for k, v in response.headers.items()}
        wait = rate_limit_wait(
            headers, time.time(), self.secondary_rate_wait if response.status == 429 else None
        )
        if wait is None:
            # A 403 without headers: PyGithub inspects the body for a rate-limit message and
            # raises the right GithubException for anything else (e.g. missing permission).
            return super().increment(method, url, response, error, _pool, _stacktrace)
        if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
            raise RateLimitExceededExceedsMaxWait(
                response.status, {"message": "rate limited"}, headers, wait=wait
            )
        retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)

        def backoff() -> float:
            return wait

        retry.get_backoff_time = backoff  # type: ignore[method-assign]
        return retry
