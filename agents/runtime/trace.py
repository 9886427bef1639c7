"""What an agent did on a task, step by step, read from `agent_states` for people.

Each persisted step becomes one line: model calls with their tokens and cost, tool calls
with their arguments, tool results (trimmed), and the time since the previous step. The
CLI (`codemonkey trace`) and the API (`GET /api/v1/tasks/{id}/trace`) share this view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.runtime.tool_summary import call_line, result_line, shorten
from storage.sql.models import AgentState, Task

TRIM = 160


@dataclass(frozen=True)
class TraceStep:
    step: int
    kind: str  # start | request | response | tool_call | tool_result | nudge | end
    at: datetime
    seconds: float  # since the previous step, or since the task started
    text: str  # one trimmed line
    tokens: int | None = None
    cost_usd: float | None = None  # None on a model response means its price is unknown
    cost_known: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


def _describe(kind: str, payload: dict[str, Any]) -> tuple[str, int | None, float | None]:
    if kind == "response":
        usage = payload.get("usage") or {}
        tokens = int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
        calls = ", ".join(str(c.get("name")) for c in payload.get("tool_calls") or [])
        said = shorten(str(payload.get("content") or ""), TRIM)
        model = f"{payload.get('provider', '')}:{payload.get('model', '')}".strip(":")
        what = " | ".join(x for x in (said, f"calls {calls}" if calls else "") if x)
        cost = None if payload.get("cost_unknown") else float(payload.get("cost_usd", 0.0))
        return f"model {model}: {what or '(empty)'}", tokens, cost
    if kind == "tool_call":
        return call_line(str(payload.get("name")), payload.get("arguments") or {}, TRIM), None, None
    if kind == "tool_result":
        name, ok = str(payload.get("name")), bool(payload.get("ok"))
        line = result_line(name, ok, str(payload.get("output") or ""), TRIM)
        if ok and payload.get("output"):
            line += ": " + shorten(str(payload["output"]), TRIM)
        return line, None, None
    if kind == "end":
        return (
            f"{payload.get('status')}: {shorten(str(payload.get('summary', '')), TRIM)}",
            None,
            None,
        )
    if kind == "request":
        dropped = int(payload.get("dropped_messages", 0))
        text = (
            f"request to {payload.get('model')}: {payload.get('messages')} messages, "
            f"~{int(payload.get('estimated_tokens', 0)):,} tokens"
        )
        return text + (f", {dropped} old messages dropped" if dropped else ""), None, None
    if kind == "nudge":
        return "nudge: " + shorten(str(payload.get("text", "")), TRIM), None, None
    if kind == "start":
        return f"start: {shorten(str(payload.get('task', '')), TRIM)}", None, None
    return shorten(str(payload), TRIM), None, None


def _utc(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def task_trace(session: Session, task: Task) -> list[TraceStep]:
    rows = session.scalars(
        select(AgentState).where(AgentState.task_id == task.id).order_by(AgentState.step)
    ).all()
    steps: list[TraceStep] = []
    previous = task.started_at or (rows[0].created_at if rows else None)
    for row in rows:
        text, tokens, cost = _describe(row.kind, dict(row.payload))
        gap = (_utc(row.created_at) - _utc(previous)).total_seconds() if previous else 0.0
        steps.append(
            TraceStep(
                row.step,
                row.kind,
                row.created_at,
                max(gap, 0.0),
                text,
                tokens,
                cost,
                cost_known=not (row.kind == "response" and cost is None),
            )
        )
        previous = row.created_at
    return steps
