"""Side effects done at most once per key, so a re-run task does not repeat them.

The window, honestly: the action runs, then its result is recorded in its own short
transaction. If the process dies after the action took effect but before that commit (a
few milliseconds: one INSERT), a re-run does not find the key and performs the action
again. No database can close this gap for an external system on its own; the action can,
by carrying the same key to the remote side where it supports one (an idempotency header,
a deterministic branch or comment marker it can look up first). The window is kept small by
recording right after the action instead of at the end of the task, and by keeping the
record write free of anything else.

Two runs racing on one key (not expected: a task's lease keeps one runner at a time) both
perform the action; the first record wins and both callers get the recorded result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.sql.database import Database
from storage.sql.models import SideEffect

MAX_KEY_LENGTH = 255


class SideEffects:
    def __init__(self, database: Database) -> None:
        self._db = database

    def recorded(self, key: str) -> dict[str, Any] | None:
        """The recorded result for a key, or None if it was never performed."""
        with self._db.session() as session:
            return session.scalar(select(SideEffect.result).where(SideEffect.key == key))

    def once(
        self, key: str, task_id: int | None, action: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Run `action` unless `key` was already recorded; return the (recorded) result."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(
                f"side-effect key must be 1..{MAX_KEY_LENGTH} characters, got {len(key)}; "
                "build it from stable ids such as 'comment:owner/repo#12:plan'"
            )
        previous = self.recorded(key)
        if previous is not None:
            return previous
        result = action()
        try:
            with self._db.session() as session:
                session.add(SideEffect(key=key, task_id=task_id, result=dict(result)))
        except IntegrityError:
            # Another run recorded the key meanwhile; its record is the one everybody sees.
            winner = self.recorded(key)
            if winner is None:
                raise
            return winner
        return dict(result)

    def record(
        self, key: str, result: dict[str, Any], *, task_id: int | None = None
    ) -> dict[str, Any]:
        """Record a result performed by the caller; if the key exists, return what is stored.

        For callers that must act between the lookup and the record themselves (e.g. an
        async action); `once` is the simpler form.
        """
        try:
            with self._db.session() as session:
                session.add(SideEffect(key=key, task_id=task_id, result=dict(result)))
        except IntegrityError:
            existing = self.recorded(key)
            if existing is None:
                raise
            return existing
        return dict(result)
