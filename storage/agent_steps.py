"""Persisted steps of agent runs (`agent_states`), handed out as plain dicts.

A step is committed before the next one starts, so a run that dies mid-way can be rebuilt
from what is here; records that happen together (a model request, its response and the
first tool call it asks for) are written in one transaction. Spend (tokens, dollars, model
calls) is derived from the recorded model responses, which keeps budgets correct across
crashes and resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from storage.sql.database import Database
from storage.sql.models import AgentState, Task

RESPONSE_KIND = "response"


class StepConflictError(Exception):
    """A step number was written twice: two runners work on the same task at once."""


@dataclass(frozen=True)
class StepRecord:
    task_id: int
    step: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepSpend:
    model_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    # Prompt-cache input tokens (not in `tokens`): read from the cache, written to it.
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    # The input tokens in `tokens` (neither read from nor written to the cache).
    input_tokens: int = 0
    # Model calls whose cost is unknown (no price for the model): not in `cost_usd`.
    unpriced_calls: int = 0

    def cost_text(self) -> str:
        """`$1.25`; `unknown` when no call had a known price; else what is known plus a note."""
        return cost_text(self.cost_usd, self.unpriced_calls, self.model_calls)

    @property
    def cached_share(self) -> float:
        """The share of all input tokens that was read from the prompt cache."""
        total = self.cache_read_tokens + self.cache_write_tokens + self.input_tokens
        return self.cache_read_tokens / total if total else 0.0

    def cache_line(self) -> str:
        """e.g. "prompt cache: 12,000 input tokens read, 3,000 written (70% of input read)"."""
        read, written = self.cache_read_tokens, self.cache_write_tokens
        line = f"prompt cache: {read:,} input tokens read, {written:,} written"
        return line + (f" ({self.cached_share:.0%} of input read)" if read else "")


def cost_text(cost_usd: float, unpriced_calls: int, calls: int) -> str:
    if not unpriced_calls:
        return f"${cost_usd:.2f}"
    if unpriced_calls >= calls:
        return "unknown"
    return f"${cost_usd:.2f} + unknown ({unpriced_calls} of {calls} calls unpriced)"


def spend_of(payloads: list[dict[str, Any]]) -> StepSpend:
    """Sum the usage recorded in response payloads (`usage` and `cost_usd` keys)."""
    calls, tokens, cost, read, written, uncached, unpriced = 0, 0, 0.0, 0, 0, 0, 0
    for payload in payloads:
        unpriced += bool(payload.get("cost_unknown"))
        usage = payload.get("usage") or {}
        calls += 1
        uncached += int(usage.get("input_tokens", 0))
        tokens += int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
        read += int(usage.get("cache_read_tokens", 0))
        written += int(usage.get("cache_write_tokens", 0))
        cost += float(payload.get("cost_usd", 0.0))
    return StepSpend(calls, tokens, cost, read, written, uncached, unpriced)


class AgentStepStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, task_id: int, step: int, kind: str, payload: dict[str, Any]) -> None:
        """Persist one step; committed when this returns."""
        self.append_many([StepRecord(task_id, step, kind, payload)])

    def append_many(self, records: list[StepRecord], *, flush_to_disk: bool = True) -> None:
        """Persist several steps in one transaction; committed when this returns.

        With `flush_to_disk=False`, PostgreSQL acknowledges the commit before its WAL
        reaches the disk (`synchronous_commit = off`): the rows are visible at once and
        survive the worker dying; only a database server crash can lose them, and the
        next committed transaction flushes them with its own. SQLite is unaffected (its
        WAL commits already skip the fsync).
        """
        if not records:
            return
        rows = [
            {"task_id": r.task_id, "step": r.step, "kind": r.kind, "payload": r.payload}
            for r in records
        ]
        try:
            # A Core insert, not the ORM unit of work: it was most of the cost of a step.
            with self._db.engine.begin() as connection:
                if not flush_to_disk and not self._db.is_sqlite:
                    connection.execute(text("SET LOCAL synchronous_commit = off"))
                connection.execute(insert(AgentState), rows)
        except IntegrityError as exc:
            first = records[0]
            raise StepConflictError(
                f"task {first.task_id} already has a step in {first.step}..{records[-1].step}; "
                "another worker is running this task, or its lease expired while it was still "
                "running (raise CODEMONKEY_TASK_LEASE_SECONDS)"
            ) from exc

    def steps(self, task_id: int) -> list[StepRecord]:
        with self._db.session() as session:
            rows = session.scalars(
                select(AgentState).where(AgentState.task_id == task_id).order_by(AgentState.step)
            ).all()
            return [StepRecord(r.task_id, r.step, r.kind, dict(r.payload)) for r in rows]

    def task_spend(self, task_id: int) -> StepSpend:
        with self._db.session() as session:
            payloads = session.scalars(
                select(AgentState.payload).where(
                    AgentState.task_id == task_id, AgentState.kind == RESPONSE_KIND
                )
            ).all()
        return spend_of(list(payloads))

    def group_spend(self, group_key: str, *, exclude_task_id: int | None = None) -> StepSpend:
        """Spend of every task in a group (all the work on one issue or pull request).

        A running task excludes itself and adds the spend it keeps in memory.
        """
        query = (
            select(AgentState.payload)
            .join(Task, Task.id == AgentState.task_id)
            .where(Task.group_key == group_key, AgentState.kind == RESPONSE_KIND)
        )
        if exclude_task_id is not None:
            query = query.where(AgentState.task_id != exclude_task_id)
        with self._db.session() as session:
            payloads = session.scalars(query).all()
        return spend_of(list(payloads))
