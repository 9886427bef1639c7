"""The narrow interfaces the agent runtime depends on.

Any `agents.providers.types.Provider` satisfies `ModelClient`; the workspace tool registry,
the team tools and the GitHub tools are all exposed to the loop as a `ToolBox`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, ToolSpec

# The one error a tool raises for a failure the model can fix (bad arguments, missing file):
# the loop turns it into an error result for the model; any other exception ends the run.
from agents.tools.base import ToolError as ToolError


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


@dataclass(frozen=True)
class ToolOutcome:
    ok: bool
    output: str
    changed_paths: tuple[str, ...] = ()
    # The run is over (the `finish` tool); `output` is the summary.
    finished: bool = False
    # Something left the agent (a comment, a question, a delegated task): counts as progress.
    communicated: bool = False
    # JSON-serialisable details for the caller (ids of created tasks, comment URLs).
    data: Mapping[str, Any] = field(default_factory=dict)


class Tool(Protocol):
    @property
    def spec(self) -> ToolSpec: ...

    @property
    def replay_safe(self) -> bool:
        """Re-running after a crash cannot repeat a side effect (read-only or keyed)."""
        ...

    def run(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome: ...


class ToolBox(Protocol):
    def specs(self) -> list[ToolSpec]: ...

    def call(self, name: str, args: dict[str, Any], ctx: CallContext) -> ToolOutcome: ...

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
