"""The agent runtime: a persisted, budgeted, resumable tool-calling loop."""

from agents.runtime.budget import BudgetLimits, Spend, over_budget
from agents.runtime.loop import AgentLoop, AgentRun, LoopConfig, RunResult, RunStatus
from agents.runtime.ports import (
    AgentEvent,
    CallContext,
    EventSink,
    ModelClient,
    SearchFn,
    Snippet,
    Tool,
    ToolBox,
    ToolError,
    ToolResult,
)

__all__ = [
    "AgentEvent",
    "AgentLoop",
    "AgentRun",
    "BudgetLimits",
    "CallContext",
    "EventSink",
    "LoopConfig",
    "ModelClient",
    "RunResult",
    "RunStatus",
    "SearchFn",
    "Snippet",
    "Spend",
    "Tool",
    "ToolBox",
    "ToolError",
    "ToolResult",
    "over_budget",
]
