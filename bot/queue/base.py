"""The queue contract shared by the in-process pool and RQ on Redis."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class TaskQueue(Protocol):
    """Delivers task ids to workers. SQL holds the task; the queue only says "look at id N".

    Enqueue only ids whose rows are committed. Enqueueing an id that still waits in the
    queue adds no second entry, so the reaper may re-offer ids freely; should a duplicate
    slip through anyway (two reapers racing), the claim in SQL lets only one run happen.
    """

    def enqueue(self, task_ids: Iterable[int]) -> None: ...

    def depth(self) -> int:
        """How many ids wait to be picked up (for /metrics and /readyz)."""
        ...
