"""A yes/no check asked at most every so often (the loop's cancel check reads SQL)."""

from __future__ import annotations

import time
from collections.abc import Callable

CANCEL_CHECK_SECONDS = 0.5


class ThrottledCheck:
    """Calls `check` at most once per `interval` seconds; once it says yes, always yes."""

    def __init__(
        self,
        check: Callable[[], bool],
        interval: float = CANCEL_CHECK_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._interval = interval
        self._clock = clock
        self._asked_at: float | None = None
        self._answer = False

    def __call__(self) -> bool:
        now = self._clock()
        if self._answer:
            return True
        if self._asked_at is None or now - self._asked_at >= self._interval:
            self._answer = self._check()
            self._asked_at = now
        return self._answer
