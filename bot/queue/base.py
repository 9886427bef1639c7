"""The queue contract shared by the in-process pool and RQ on Redis."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class TaskQueue(Protocol):
    """Delivers task ids to workers. Enqueue only ids whose rows are committed."""

    def enqueue(self, task_ids: Iterable[int]) -> None: ...

    def depth(self) -> int:
        """How many ids wait to be picked up (for /metrics and /readyz)."""
        ...
