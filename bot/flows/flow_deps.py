"""What every flow receives (built once per worker process), and the translations between
the team's errors and the queue's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from agents.team.deps import FlowError
from agents.team.deps import TaskCancelledError as TeamCancelled
from agents.team.locks import PathsBusyError
from bot.index_lane import IndexLane
from bot.queue.base import TaskQueue
from bot.queue.handlers import (
    PermanentTaskError,
    TaskCancelledError,
    TaskContext,
    TaskDeferredError,
)
from bot.services import Services
from bot.worker_deps import WorkerDeps
from storage.task_graph import TaskSnapshot, load_task
from webhooks.loop_guard import LoopGuard
from webhooks.task_payloads import PayloadError, TaskPayload, load_payload


@dataclass(frozen=True)
class FlowDeps:
    services: Services
    worker: WorkerDeps
    queue: TaskQueue
    # One per process: index builds run there, one at a time, at low priority.
    lane: IndexLane
    # Caps the changes events the bot does not cause itself can start (a failing CI check).
    guard: LoopGuard

    def snapshot(self, ctx: TaskContext) -> TaskSnapshot:
        with self.worker.database.session() as session:
            return load_task(session, ctx.task.id)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Team errors as the queue understands them."""
    try:
        yield
    except PathsBusyError as exc:
        raise TaskDeferredError(str(exc), retry_after_seconds=exc.retry_after_seconds) from exc
    except TeamCancelled as exc:
        raise TaskCancelledError(str(exc)) from exc
    except FlowError as exc:
        raise PermanentTaskError(str(exc)) from exc


def typed_payload(ctx: TaskContext) -> TaskPayload:
    """The ingress task's typed payload, whichever release queued it."""
    try:
        return load_payload(ctx.task.kind, ctx.task.payload)
    except PayloadError as exc:
        raise PermanentTaskError(str(exc)) from None
