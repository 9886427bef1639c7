"""Where each model call's usage goes. `storage.usage.SqlUsageSink` writes the `usage` table.

Every sink takes `UsageRecord`s (`storage/usage_record.py`), one or a batch; `usage_record`
builds one from a call, the same way for the `LLM` facade and the gateway's pass-through.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from agents.providers.types import TokenUsage
from storage.usage_record import UsageRecord

__all__ = ["MemoryUsageSink", "UsageRecord", "UsageSink", "usage_record"]


class UsageSink(Protocol):
    def record(self, usage: UsageRecord) -> None: ...

    def record_many(self, records: Sequence[UsageRecord]) -> None:
        """A batch, in one transaction where the sink writes SQL."""
        ...


def usage_record(
    provider: str,
    model: str,
    tokens: TokenUsage,
    *,
    cost: float,
    cost_known: bool,
    started: float,
    ok: bool,
    task_id: int | None = None,
    project_id: int | None = None,
    role: str | None = None,
) -> UsageRecord:
    """A call's record; `started` is its `time.monotonic()` at the start."""
    return UsageRecord(
        provider=provider,
        model=model,
        input_tokens=tokens.input_tokens,
        output_tokens=tokens.output_tokens,
        cache_read_tokens=tokens.cache_read_tokens,
        cache_write_tokens=tokens.cache_write_tokens,
        cost_usd=cost,
        cost_known=cost_known,
        latency_ms=int((time.monotonic() - started) * 1000),
        ok=ok,
        task_id=task_id,
        project_id=project_id,
        role=role,
    )


class MemoryUsageSink:
    """Keeps records in a list: for the CLI's one-off calls and for tests."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    def record(self, usage: UsageRecord) -> None:
        self.records.append(usage)

    def record_many(self, records: Sequence[UsageRecord]) -> None:
        self.records.extend(records)
