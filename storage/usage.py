"""Recording model calls in the `usage` table, and summing them.

Takes `UsageRecord`s (`storage/usage_record.py`), so it serves as the agents' `UsageSink`
without importing agents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import func, select

from storage.sql.database import Database
from storage.sql.models import Usage
from storage.usage_record import UsageRecord


class SqlUsageSink:
    """Writes one `usage` row per model call; each `record` is its own transaction,
    `record_many` writes a batch in one."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def record(self, usage: UsageRecord) -> None:
        self.record_many([usage])

    def record_many(self, records: Sequence[UsageRecord]) -> None:
        """One transaction for all of `records`."""
        with self._database.session() as session:
            # Decimal from the string form, so 0.1 is stored as 0.1.
            session.add_all(
                Usage(**{**asdict(r), "cost_usd": Decimal(str(round(r.cost_usd, 6)))})
                for r in records
            )


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    failed_calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: Decimal


def usage_totals(
    database: Database, *, task_id: int | None = None, project_id: int | None = None
) -> UsageTotals:
    """Sums over all calls, or those of one task or project."""
    query = select(
        func.count(Usage.id),
        func.coalesce(func.sum(Usage.input_tokens), 0),
        func.coalesce(func.sum(Usage.output_tokens), 0),
        func.coalesce(func.sum(Usage.cache_read_tokens), 0),
        func.coalesce(func.sum(Usage.cache_write_tokens), 0),
        func.coalesce(func.sum(Usage.cost_usd), 0),
    )
    failed = select(func.count(Usage.id)).where(Usage.ok.is_(False))
    if task_id is not None:
        query = query.where(Usage.task_id == task_id)
        failed = failed.where(Usage.task_id == task_id)
    if project_id is not None:
        query = query.where(Usage.project_id == project_id)
        failed = failed.where(Usage.project_id == project_id)
    with database.session() as session:
        row = session.execute(query).one()
        failed_calls = session.scalar(failed) or 0
    return UsageTotals(
        calls=int(row[0]),
        failed_calls=int(failed_calls),
        input_tokens=int(row[1]),
        output_tokens=int(row[2]),
        cache_read_tokens=int(row[3]),
        cache_write_tokens=int(row[4]),
        cost_usd=Decimal(row[5]).quantize(Decimal("0.000001")),
    )
