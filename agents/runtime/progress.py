"""No-progress detection: a model repeating itself, or working without moving anything."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


class ProgressMonitor:
    """Feed it every tool call and every finished model turn; it says when to stop.

    Two rules: the same call (tool, arguments, result) seen `repeat_limit` times, or
    `idle_limit` model turns in a row without a file change or a message leaving the agent.
    """

    def __init__(self, *, repeat_limit: int = 3, idle_limit: int = 12) -> None:
        if repeat_limit < 2 or idle_limit < 1:
            raise ValueError("repeat_limit must be at least 2 and idle_limit at least 1")
        self._repeat_limit = repeat_limit
        self._idle_limit = idle_limit
        self._seen: Counter[str] = Counter()
        self._idle_turns = 0
        self._turn_progress = False

    def tool_result(
        self, name: str, args: dict[str, Any], output: str, *, progressed: bool
    ) -> str | None:
        signature = json.dumps([name, args, output], sort_keys=True, default=str)
        self._seen[signature] += 1
        self._turn_progress = self._turn_progress or progressed
        if self._seen[signature] >= self._repeat_limit:
            return (
                f"Stopped: the agent called `{name}` with the same arguments and got the same "
                f"result {self._seen[signature]} times; it is going in circles. Rephrase the "
                "task or give it the missing information."
            )
        return None

    def end_turn(self) -> str | None:
        self._idle_turns = 0 if self._turn_progress else self._idle_turns + 1
        self._turn_progress = False
        if self._idle_turns >= self._idle_limit:
            return (
                f"Stopped: {self._idle_turns} steps in a row without changing a file or sending "
                "a message; the agent is not making progress. Narrow the task or point it at "
                "the files to change."
            )
        return None
