"""What the other tasks of an issue have spent, read at most every so often.

The loop checks the issue budget before every model call. Reading every recorded response
of the issue each time was the largest cost of a step after the writes, and it grows with
the issue; the loop's own spend is exact (kept in memory), and the other tasks' spend is
refreshed at most once per `refresh_seconds`, so a sibling's latest spend may be counted
that much later.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from agents.runtime.budget import Spend
from storage.agent_steps import AgentStepStore

REFRESH_SECONDS = 1.0


class IssueSpend:
    def __init__(
        self,
        store: AgentStepStore,
        group_key: str,
        task_id: int,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._group_key = group_key
        self._task_id = task_id
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._others: Spend | None = None
        self._read_at = 0.0

    def others(self) -> Spend:
        """The spend of the issue's other tasks, read again once it is older than the limit."""
        now = self._clock()
        if self._others is None or now - self._read_at >= self._refresh_seconds:
            spent = self._store.group_spend(self._group_key, exclude_task_id=self._task_id)
            self._others = Spend(spent.model_calls, spent.tokens, spent.cost_usd)
            self._read_at = now
        return self._others
