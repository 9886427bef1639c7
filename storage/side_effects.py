"""Side effects already performed (a comment posted, a PR opened), keyed for idempotency.

The caller performs the effect, then records its result under a deterministic key such as
`task:12:step:7:comment`; a re-run finds the key and reuses the result instead of acting
again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from storage.sql.database import Database
from storage.sql.models import SideEffect


class SideEffectStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> dict[str, Any] | None:
        with self._db.session() as session:
            row = session.get(SideEffect, key)
            return None if row is None else dict(row.result)

    def record(
        self, key: str, result: dict[str, Any], *, task_id: int | None = None
    ) -> dict[str, Any]:
        """Store the result under `key`; if the key exists already, return what is stored."""
        try:
            with self._db.session() as session:
                session.add(SideEffect(key=key, task_id=task_id, result=result))
        except IntegrityError:
            existing = self.get(key)
            if existing is None:
                raise
            return existing
        return result
