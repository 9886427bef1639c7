"""The agent runtime: one tool-calling loop over any `ModelClient`.

Every step is persisted before the next starts (`start`, `request`, `response`,
`tool_call`, `tool_result`, `end`). Records that happen together share one transaction: a
model request is written with its response and the first tool call it asks for (before that
tool runs), and a tool result with the next tool call or before the next model request.
Running a task that already has steps resumes it: the conversation is rebuilt from the
records, recorded model responses are never requested again, and a tool call recorded
without its result is repeated only when the tool says that is safe (read-only, or keyed so
the side effect happens once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, ToolCall
from agents.roles.types import Role
from agents.runtime.budget import BudgetLimits, Spend, over_budget, over_time
from agents.runtime.context_window import fit_window
from agents.runtime.issue_spend import IssueSpend
from agents.runtime.ports import (
    AgentEvent,
    CallContext,
    EventSink,
    ModelClient,
    SearchFn,
    ToolBox,
    ToolError,
    ToolResult,
)
from agents.runtime.progress import ProgressMonitor
from agents.runtime.replay import RunState, call_payload, rebuild, response_payload
from agents.runtime.tool_summary import call_line, result_line
from storage.agent_steps import AgentStepStore, StepRecord

RunStatus = Literal["finished", "budget_exhausted", "no_progress", "cancelled", "no_tools"]

# Said once to a model that answered in prose before it ever called one of its tools.
NUDGE = (
    "You answered without calling a tool. Work only through the tools you were given: "
    "call one now (and `finish` with a summary when the work is done)."
)

INTERRUPTED = (
    "This call was interrupted by a restart and may or may not have taken effect. It was "
    "not repeated because repeating it is not safe; check the current state before retrying."
)


@dataclass(frozen=True)
class AgentRun:
    task_id: int
    role: Role
    task: str
    # The provider's own model name (no `provider:` prefix).
    model: str
    group_key: str | None = None
    project_id: int | None = None
    # Extra context blocks: the relevant conversation, a design note, review comments.
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoopConfig:
    limits: BudgetLimits = field(default_factory=BudgetLimits)
    context_tokens: int = 100_000
    max_output_tokens: int = 4096
    repeat_limit: int = 3
    idle_limit: int = 12
    failure_limit: int = 6
    search_results: int = 5


@dataclass(frozen=True)
class RunResult:
    status: RunStatus
    summary: str
    steps: int
    spend: Spend
    changed_paths: tuple[str, ...]
    # Model calls made by this invocation (a resumed run does not repeat recorded ones).
    model_calls_made: int = 0
    # Tool name -> the data of its last successful call in the run (e.g. the review posted).
    tool_data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "finished"


class AgentLoop:
    def __init__(
        self,
        *,
        model: ModelClient,
        tools: ToolBox,
        steps: AgentStepStore,
        config: LoopConfig | None = None,
        search: SearchFn | None = None,
        is_cancelled: Callable[[], bool] | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self._model = model
        self._tools = tools
        self._store = steps
        self._config = config or LoopConfig()
        self._search = search
        self._is_cancelled = is_cancelled
        self._on_event = on_event
        # Records not yet committed; `_flush` writes them in one transaction.
        self._pending: list[StepRecord] = []

    async def run(self, run: AgentRun) -> RunResult:
        monitor = ProgressMonitor(
            repeat_limit=self._config.repeat_limit,
            idle_limit=self._config.idle_limit,
            failure_limit=self._config.failure_limit,
            reads_are_progress=run.role.works_by_reading,
        )
        self._pending = []
        state = rebuild(self._store.steps(run.task_id), monitor)
        if state.ended is not None:
            status, summary = state.ended
            return self._result(state, cast(RunStatus, status), summary)
        if state.finished_summary is not None:
            return self._end(run, state, "finished", state.finished_summary)
        if state.stop_reason is not None:
            return self._end(run, state, "no_progress", state.stop_reason)
        if not state.pinned:
            self._start(run, state)
        issue_spend = IssueSpend(self._store, run.group_key, run.task_id) if run.group_key else None
        started = time.monotonic()
        while True:
            late = over_time(self._config.limits, time.monotonic() - started)
            if late is not None:
                return self._end(run, state, "budget_exhausted", late)
            if state.unanswered:
                stop = self._answer(run, state, monitor)
                if stop is not None:
                    return self._end(run, state, *stop)
                continue
            if self._is_cancelled is not None and self._is_cancelled():
                return self._end(run, state, "cancelled", "Stopped: the task was cancelled.")
            issue = None
            if issue_spend is not None:
                issue = issue_spend.others() + state.spend
            reason = over_budget(self._config.limits, state.spend, issue)
            if reason is not None:
                return self._end(run, state, "budget_exhausted", reason)
            response = await self._call_model(run, state)
            if response.tool_calls:
                continue
            if self._tools.specs() and not state.called_a_tool:
                # Prose before any tool call: small models without tool support do this.
                if not state.nudged:
                    self._append(run, state, "nudge", {"text": NUDGE}, commit=True)
                    state.apply_nudge(NUDGE)
                    continue
                return self._end(run, state, "no_tools", _no_tools_message(run.model))
            return self._end(run, state, "finished", response.content.strip() or "Done.")

    def _start(self, run: AgentRun, state: RunState) -> None:
        task = run.task
        if run.context:
            task += "\n\n" + "\n\n".join(run.context)
        if self._search is not None:
            snippets = self._search(run.task, self._config.search_results)
            if snippets:
                blocks = [f"{s.path}:\n```\n{s.text}\n```" for s in snippets]
                task += "\n\nCode that may be relevant:\n\n" + "\n\n".join(blocks)
        payload = {"system": run.role.system_prompt, "task": task, "role": run.role.name}
        self._append(run, state, "start", payload, commit=True)
        state.pinned = [ChatMessage.system(payload["system"]), ChatMessage.user(task)]

    async def _call_model(self, run: AgentRun, state: RunState) -> ChatResponse:
        # Tool results are committed before the model is asked again, so a worker crash
        # during the call never loses them; the request itself waits for its response.
        # They need not wait for the disk: were the database server to lose them, their
        # tool calls (flushed to disk before the tools ran) resume as interrupted calls,
        # as after a crash during the tool, and the next commit flushes them anyway.
        self._flush(flush_to_disk=False)
        fitted = fit_window(state.pinned, state.history, max_tokens=self._config.context_tokens)
        specs = tuple(self._tools.specs())
        self._append(
            run,
            state,
            "request",
            {
                "model": run.model,
                "messages": len(fitted.messages),
                "estimated_tokens": fitted.tokens,
                "dropped_messages": fitted.dropped_messages,
                "cut_messages": fitted.cut_messages,
                "tools": [s.name for s in specs],
            },
        )
        options = ChatOptions(
            model=run.model,
            max_tokens=self._config.max_output_tokens,
            tools=specs,
            task_id=run.task_id,
            project_id=run.project_id,
            role=run.role.name,
        )
        try:
            response = await self._model.chat(fitted.messages, options)
        except BaseException:
            self._flush()
            raise
        payload = response_payload(response)
        # Committed with the first tool call (before the tool runs) or with the end record.
        self._append(run, state, "response", payload)
        state.apply_response(payload)
        state.calls_made += 1
        # Tool calls get their own lines (with arguments); only what the model said is shown.
        self._emit(run, "model", response.content or "")
        return response

    def _answer(
        self, run: AgentRun, state: RunState, monitor: ProgressMonitor
    ) -> tuple[RunStatus, str] | None:
        while state.unanswered:
            call = state.unanswered[0]
            outcome = self._execute(run, state, call)
            payload = {"id": call.id, "name": call.name, **_outcome_payload(outcome)}
            self._append(run, state, "tool_result", payload)
            reason = state.apply_result(payload, monitor)
            self._emit(run, "result", result_line(call.name, outcome.ok, outcome.output))
            if outcome.finished:
                return "finished", outcome.output
            if reason is not None:
                return "no_progress", reason
        return None

    def _execute(self, run: AgentRun, state: RunState, call: ToolCall) -> ToolResult:
        started = state.started.get(call.id)
        if started is None:
            step = state.next_step
            key = f"task:{run.task_id}:step:{step}:{call.name}"
            self._append(run, state, "tool_call", call_payload(call, key), commit=True)
            state.started[call.id] = (step, key)
        else:
            step, key = started
            if not self._tools.replay_safe(call.name):
                return ToolResult(False, INTERRUPTED)
        self._emit(run, "tool", call_line(call.name, call.arguments))
        ctx = CallContext(task_id=run.task_id, step=step, role=run.role.name, idempotency_key=key)
        try:
            return self._tools.call(call.name, dict(call.arguments), ctx)
        except ToolError as exc:
            return ToolResult(False, str(exc))

    def _append(
        self,
        run: AgentRun,
        state: RunState,
        kind: str,
        payload: dict[str, Any],
        *,
        commit: bool = False,
    ) -> None:
        """Record a step; with `commit`, it and every record before it are committed now."""
        self._pending.append(StepRecord(run.task_id, state.next_step, kind, payload))
        state.next_step += 1
        if commit:
            self._flush()

    def _flush(self, *, flush_to_disk: bool = True) -> None:
        if self._pending:
            records, self._pending = self._pending, []
            self._store.append_many(records, flush_to_disk=flush_to_disk)

    def _end(self, run: AgentRun, state: RunState, status: RunStatus, summary: str) -> RunResult:
        self._append(run, state, "end", {"status": status, "summary": summary}, commit=True)
        self._emit(run, "end", f"{status}: {summary}")
        return self._result(state, status, summary)

    def _result(self, state: RunState, status: RunStatus, summary: str) -> RunResult:
        return RunResult(
            status=status,
            summary=summary,
            steps=state.next_step,
            spend=state.spend,
            changed_paths=tuple(sorted(state.changed)),
            model_calls_made=state.calls_made,
            tool_data=dict(state.tool_data),
        )

    def _emit(self, run: AgentRun, kind: str, text: str) -> None:
        if self._on_event is not None:
            self._on_event(AgentEvent(run.task_id, run.role.name, kind, text[:300]))


def _outcome_payload(outcome: ToolResult) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "output": outcome.output,
        "changed_paths": list(outcome.changed_paths),
        "finished": outcome.finished,
        "communicated": outcome.communicated,
        "data": dict(outcome.data),
    }


def _no_tools_message(model: str) -> str:
    return (
        f"The model {model} did not call any tool, even when asked to; it may not support "
        "tool calling. Choose a model that does (for Ollama, one whose `ollama show` lists "
        "the tools capability), e.g. with --model or CODEMONKEY_DEFAULT_MODEL."
    )
