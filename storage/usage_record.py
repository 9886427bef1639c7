"""One model call's usage, as every usage sink takes it (no SQL here: the gateway and the
providers build these on their hot paths)."""

from __future__ import annotations

from dataclasses import dataclass


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
    task_id: int | None = None
    project_id: int | None = None
    role: str | None = None
    # False when the model has no known price: `cost_usd` (0) is then not its cost.
    cost_known: bool = True
