"""Run state and its reconstruction from persisted steps (the crash-resume path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.providers.types import ChatMessage, ChatResponse, ToolCall
from agents.runtime.budget import Spend
from agents.runtime.progress import ProgressMonitor
from storage.agent_steps import StepRecord


@dataclass
class RunState:
    pinned: list[ChatMessage] = field(default_factory=list)
    history: list[ChatMessage] = field(default_factory=list)
    next_step: int = 0
    spend: Spend = field(default_factory=Spend)
    changed: set[str] = field(default_factory=set)
    # Tool calls of the latest response that have no recorded result yet, in order.
    unanswered: list[ToolCall] = field(default_factory=list)
    # call id -> (step of its `tool_call` record, idempotency key)
    started: dict[str, tuple[int, str]] = field(default_factory=dict)
    stop_reason: str | None = None
    finished_summary: str | None = None
    ended: tuple[str, str] | None = None
    calls_made: int = 0
    called_a_tool: bool = False
    nudged: bool = False
    # Tool name -> the data of its last successful call: what the run hands its caller
    # (a review's verdict), kept as the run goes and rebuilt with the rest on resume.
    tool_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply_nudge(self, text: str) -> None:
        self.history.append(ChatMessage.user(text))
        self.nudged = True

    def apply_response(self, payload: dict[str, Any]) -> None:
        calls = tuple(
            ToolCall(c["id"], c["name"], dict(c["arguments"])) for c in payload["tool_calls"]
        )
        self.history.append(ChatMessage.assistant(payload["content"], calls))
        usage = payload["usage"]
        self.spend = self.spend + Spend(
            1,
            int(usage["input_tokens"]) + int(usage["output_tokens"]),
            float(payload["cost_usd"]),
        )
        self.unanswered = list(calls)
        self.started = {}
        self.called_a_tool = self.called_a_tool or bool(calls)

    def apply_result(self, payload: dict[str, Any], monitor: ProgressMonitor) -> str | None:
        """Record a tool result; returns a no-progress reason when the monitor trips."""
        index = next(i for i, c in enumerate(self.unanswered) if c.id == payload["id"])
        call = self.unanswered.pop(index)
        self.history.append(
            ChatMessage.tool(call.id, payload["output"], is_error=not payload["ok"])
        )
        changed = [str(p) for p in payload["changed_paths"]]
        self.changed.update(changed)
        if payload["ok"]:
            self.tool_data[call.name] = dict(payload.get("data") or {})
        progressed = bool(changed) or payload["communicated"] or payload["finished"]
        reason = monitor.tool_result(
            call.name, call.arguments, payload["output"], progressed=progressed, ok=payload["ok"]
        )
        if not self.unanswered:
            reason = reason or monitor.end_turn()
        return reason


def response_payload(response: ChatResponse) -> dict[str, Any]:
    return {
        "id": response.id,
        "provider": response.provider,
        "model": response.model,
        "content": response.content,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": dict(c.arguments)}
            for c in response.tool_calls
        ],
        "finish_reason": response.finish_reason,
        "usage": {
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
            "cache_read_tokens": response.usage.cache_read_tokens,
            "cache_write_tokens": response.usage.cache_write_tokens,
        },
        "cost_usd": response.cost_usd,
        "latency_ms": response.latency_ms,
        # Only when unknown, so that the payloads of priced calls stay as they were.
        **({} if response.cost_known else {"cost_unknown": True}),
    }


def call_payload(call: ToolCall, key: str) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": dict(call.arguments), "key": key}


def rebuild(records: list[StepRecord], monitor: ProgressMonitor) -> RunState:
    """Replay persisted steps into a state the loop can continue from."""
    state = RunState()
    for record in records:
        payload = record.payload
        state.next_step = record.step + 1
        if record.kind == "start":
            state.pinned = [
                ChatMessage.system(payload["system"]),
                ChatMessage.user(payload["task"]),
            ]
        elif record.kind == "response":
            state.apply_response(payload)
        elif record.kind == "tool_call":
            state.started[payload["id"]] = (record.step, payload["key"])
        elif record.kind == "tool_result":
            reason = state.apply_result(payload, monitor)
            state.stop_reason = state.stop_reason or reason
            if payload["finished"]:
                state.finished_summary = payload["output"]
        elif record.kind == "nudge":
            state.apply_nudge(payload["text"])
        elif record.kind == "end":
            state.ended = (payload["status"], payload["summary"])
    return state
