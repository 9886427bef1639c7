"""The narrow interfaces the agent runtime depends on.

Any `agents.providers.types.Provider` satisfies `ModelClient`; the workspace tool registry,
the team tools and the GitHub tools are all exposed to the loop as a `ToolBox`. A tool the
loop runs is an `agents.tools.base.Tool[CallContext]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, ToolSpec
from agents.tools.base import Tool as Tool

# The one error type and the one result type of every tool (workspace, team, GitHub):
# a ToolError is a failure the model can fix (bad arguments, missing file) and becomes an
# error result; any other exception from a team tool ends the run.
from agents.tools.base import ToolError as ToolError
from agents.tools.base import ToolResult as ToolResult


class ModelClient(Protocol):
    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse: ...


@dataclass(frozen=True)
class CallContext:
    """Who is calling a tool, and the key that makes a side effect happen at most once."""

    task_id: int
    step: int
    role: str
    # `task:{id}:step:{n}:{tool}`; stable across a crash and resume.
    idempotency_key: str


class ToolBox(Protocol):
    def specs(self) -> list[ToolSpec]: ...

    def call(self, name: str, args: dict[str, Any], ctx: CallContext) -> ToolResult: ...

    def replay_safe(self, name: str) -> bool: ...


@dataclass(frozen=True)
class Snippet:
    """Code found by search, injected into an agent's context."""

    path: str
    text: str
    score: float = 0.0
    # The first line of `text` in the file (1-based); 0 when unknown.
    start_line: int = 0


# (query, limit) -> the best matching snippets.
SearchFn = Callable[[str, int], list[Snippet]]


@dataclass(frozen=True)
class AgentEvent:
    """Live progress of a run, for the CLI and logs."""

    task_id: int
    role: str
    kind: str  # "model" | "tool" | "result" | "end"
    text: str


EventSink = Callable[[AgentEvent], None]
