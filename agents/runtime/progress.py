"""No-progress detection: a model repeating itself, failing over and over, or working
without moving anything.

Reading is how a planner, a reviewer or QA works: for those readers a successful call not
seen before is progress, so they may read a large codebase. A writer that only reads for
`idle_limit` turns is stopped as before: its work is to change files.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


class ProgressMonitor:
    """Feed it every tool call and every finished model turn; it says when to stop.

    Three rules: the same call (tool, arguments, result) seen `repeat_limit` times;
    `failure_limit` failed calls in a row; `idle_limit` model turns in a row without a
    file change, a message leaving the agent or (for readers) a new successful call.
    """

    def __init__(
        self,
        *,
        repeat_limit: int = 3,
        idle_limit: int = 12,
        failure_limit: int = 6,
        reads_are_progress: bool = False,
    ) -> None:
        if repeat_limit < 2 or idle_limit < 1 or failure_limit < 1:
            raise ValueError(
                "repeat_limit must be at least 2, idle_limit and failure_limit at least 1"
            )
        self._repeat_limit = repeat_limit
        self._idle_limit = idle_limit
        self._failure_limit = failure_limit
        self._reads_are_progress = reads_are_progress
        self._seen: Counter[str] = Counter()
        self._idle_turns = 0
        self._failures = 0
        self._turn_progress = False

    def tool_result(
        self, name: str, args: dict[str, Any], output: str, *, progressed: bool, ok: bool = True
    ) -> str | None:
        signature = json.dumps([name, args, output], sort_keys=True, default=str)
        self._seen[signature] += 1
        new = self._seen[signature] == 1
        learned = self._reads_are_progress and ok and new
        self._turn_progress = self._turn_progress or progressed or learned
        self._failures = 0 if ok else self._failures + 1
        if self._seen[signature] >= self._repeat_limit:
            return (
                f"Stopped: the agent called `{name}` with the same arguments and got the same "
                f"result {self._seen[signature]} times; it is going in circles. Rephrase the "
                "task or give it the missing information."
            )
        if self._failures >= self._failure_limit:
            return (
                f"Stopped: {self._failures} tool calls in a row failed (the last, `{name}`: "
                f"{output.strip()[:200]}); the agent cannot work with its tools here. Check "
                "that the task is possible with them, or give it the missing information."
            )
        return None

    def end_turn(self) -> str | None:
        self._idle_turns = 0 if self._turn_progress else self._idle_turns + 1
        self._turn_progress = False
        if self._idle_turns >= self._idle_limit:
            what = "learning anything new, " if self._reads_are_progress else ""
            return (
                f"Stopped: {self._idle_turns} steps in a row without {what}changing a file or "
                "sending a message; the agent is not making progress. Narrow the task or point "
                "it at the files to change."
            )
        return None
