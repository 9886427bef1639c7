"""Retries with exponential backoff and jitter, `retry-after`, per-provider concurrency.

Only errors marked `retryable` are retried (429, 5xx, 529, timeouts, connection errors);
a 4xx that cannot succeed is raised at once. A stream is retried only while nothing has
been passed on to the caller: once text has been yielded, a failure surfaces as
`StreamInterruptedError` instead of a silently truncated or duplicated answer.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from agents.providers import errors
from agents.providers.provider_config import RetryConfig
from agents.providers.types import StreamEnd, StreamEvent

logger = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    config: RetryConfig

    def delay(self, attempt: int, error: errors.ProviderError) -> float | None:
        """Seconds to wait before retry number `attempt` (1-based), or None to give up."""
        if not error.retryable or attempt > self.config.max_retries:
            return None
        retry_after: float | None = getattr(error, "retry_after", None)
        if retry_after is not None:
            # A longer wait than the cap is better spent on the next model in the chain.
            if retry_after > self.config.max_retry_after:
                return None
            return float(retry_after)
        backoff = min(self.config.max_delay, self.config.base_delay * 2.0 ** (attempt - 1))
        return backoff * (1 + random.uniform(0, self.config.jitter))


async def call_with_retries(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy, *, sleep: Sleep = asyncio.sleep
) -> T:
    attempt = 0
    while True:
        try:
            return await call()
        except errors.ProviderError as error:
            attempt += 1
            wait = policy.delay(attempt, error)
            if wait is None:
                raise
            logger.warning(
                "model call failed, retrying",
                extra={"provider": error.provider, "attempt": attempt, "wait_s": wait},
            )
            await sleep(wait)


async def stream_with_retries(
    open_stream: Callable[[], AsyncIterator[StreamEvent]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[StreamEvent]:
    attempt = 0
    while True:
        yielded = False
        try:
            async for event in open_stream():
                if not isinstance(event, StreamEnd):
                    yielded = True
                yield event
            return
        except errors.ProviderError as error:
            if yielded:
                if isinstance(error, errors.StreamInterruptedError):
                    raise
                raise errors.StreamInterruptedError(
                    f"the stream failed after part of the answer was sent ({error}); "
                    "retry the request",
                    provider=error.provider,
                ) from error
            attempt += 1
            wait = policy.delay(attempt, error)
            if wait is None:
                raise
            logger.warning(
                "model stream failed before any output, retrying",
                extra={"provider": error.provider, "attempt": attempt, "wait_s": wait},
            )
            await sleep(wait)


class ConcurrencyLimits:
    """One semaphore per provider, created on first use (inside the running loop)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("provider_concurrency must be at least 1")
        self._limit = limit
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def for_provider(self, provider: str) -> asyncio.Semaphore:
        if provider not in self._semaphores:
            self._semaphores[provider] = asyncio.Semaphore(self._limit)
        return self._semaphores[provider]
