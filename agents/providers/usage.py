"""Where each model call's usage goes. `storage.usage.SqlUsageSink` writes the `usage` table.

The sink takes plain values (no agents types) so that storage can implement it without
importing agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class UsageSink(Protocol):
    def record(
        self,
        *,
        provider: str,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int,
        cache_write_tokens: int,
        cost_usd: float,
        latency_ms: int,
        ok: bool,
        task_id: int | None,
        project_id: int | None,
        role: str | None,
        cost_known: bool = True,
    ) -> None: ...


@dataclass(frozen=True)
class UsageRecord:
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    latency_ms: int
    ok: bool
    task_id: int | None
    project_id: int | None
    role: str | None
    # False when the model has no known price: `cost_usd` (0) is then not its cost.
    cost_known: bool = True


class MemoryUsageSink:
    """Keeps records in a list: for the CLI's one-off calls and for tests."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    def record(
        self,
        *,
        provider: str,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int,
        cache_write_tokens: int,
        cost_usd: float,
        latency_ms: int,
        ok: bool,
        task_id: int | None,
        project_id: int | None,
        role: str | None,
        cost_known: bool = True,
    ) -> None:
        self.records.append(
            UsageRecord(
                provider,
                model,
                input_tokens,
                output_tokens,
                cache_read_tokens,
                cache_write_tokens,
                cost_usd,
                latency_ms,
                ok,
                task_id,
                project_id,
                role,
                cost_known,
            )
        )
