"""Task handlers: what a worker runs for each task kind, and what a handler may use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.side_effects import SideEffects


class PermanentTaskError(Exception):
    """Raised by a handler when retrying cannot help (bad payload, missing permission).

    Any other exception counts as transient and the task is retried with backoff.
    """


class TaskCancelledError(Exception):
    """Raised by a handler (via `TaskContext.raise_if_cancelled`) to stop a cancelled task."""


class TaskDeferredError(Exception):
    """Raised by a handler that cannot start yet (e.g. the files it edits are busy): the
    task goes back to the queue for `retry_after_seconds`, and the attempt is not counted."""

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class TaskInfo:
    id: int
    kind: str
    payload: Mapping[str, Any]
    attempt: int
    max_attempts: int
    project_id: int | None = None
    group_key: str | None = None


@dataclass(frozen=True)
class TaskContext:
    """Everything a handler gets. The runner sets `log_context(task_id=..., task_kind=...)`
    around the call, so `logger` lines carry the task id without further effort."""

    task: TaskInfo
    side_effects: SideEffects
    is_cancelled: Callable[[], bool]
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("codemonkey.task"))

    def raise_if_cancelled(self) -> None:
        """Call at safe points (between steps) so `/stop` takes effect promptly."""
        if self.is_cancelled():
            raise TaskCancelledError(f"task {self.task.id} was cancelled")

    def once(self, key: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Perform a side effect at most once per key across re-runs of this task."""
        return self.side_effects.once(key, self.task.id, action)


class Handler(Protocol):
    def __call__(self, ctx: TaskContext) -> dict[str, Any] | None: ...


# Told once when a task of its kind has failed for good: (task, error text).
FailureHook = Callable[[TaskInfo, str], None]


class HandlerRegistry:
    """Maps task kinds to handlers. Built once in a command's main and passed down."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._failure_hooks: dict[str, FailureHook] = {}

    def on_failure(self, kind: str, hook: FailureHook) -> None:
        self._failure_hooks[kind] = hook

    def failure_hook(self, kind: str) -> FailureHook | None:
        return self._failure_hooks.get(kind)

    def register(self, kind: str, handler: Handler, *, replace: bool = False) -> None:
        if kind in self._handlers and not replace:
            raise ValueError(f"a handler for task kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)
