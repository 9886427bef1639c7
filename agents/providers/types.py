"""Provider-neutral chat types: every provider translates to and from these.

Messages, tool definitions, tool calls, finish reasons, token usage and stream events are
normalised here so that agents never see a provider's wire format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

MessageRole = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
ProviderType = Literal["cloud", "local"]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    # Set when the model's arguments were not a JSON object: `arguments` is then empty,
    # `raw_arguments` holds what the model wrote and `parse_error` why it was rejected.
    raw_arguments: str | None = None
    parse_error: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    role: MessageRole
    content: str = ""
    # assistant messages: the tools the model asked to call
    tool_calls: tuple[ToolCall, ...] = ()
    # tool messages: which call this answers
    tool_call_id: str | None = None
    # tool messages: whether the tool failed (Anthropic's `is_error`)
    is_error: bool = False

    @staticmethod
    def system(text: str) -> ChatMessage:
        return ChatMessage("system", text)

    @staticmethod
    def user(text: str) -> ChatMessage:
        return ChatMessage("user", text)

    @staticmethod
    def assistant(text: str = "", tool_calls: tuple[ToolCall, ...] = ()) -> ChatMessage:
        return ChatMessage("assistant", text, tool_calls=tool_calls)

    @staticmethod
    def tool(call_id: str, text: str, *, is_error: bool = False) -> ChatMessage:
        return ChatMessage("tool", text, tool_call_id=call_id, is_error=is_error)


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call; `parameters` is a JSON Schema object."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ChatOptions:
    """`model` is the provider's own model name (without the `provider:` prefix)."""

    model: str
    max_tokens: int = 4096
    temperature: float | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    # "auto" | "none" | "required" | a tool name that must be called
    tool_choice: str | None = None
    parallel_tool_calls: bool = True
    timeout_seconds: float | None = None
    # Who the call is for; recorded in `usage`.
    task_id: int | None = None
    project_id: int | None = None
    role: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ChatResponse:
    id: str
    provider: str
    model: str
    content: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason
    usage: TokenUsage
    cost_usd: float = 0.0
    latency_ms: int = 0
    # False when neither the provider nor the price table gave the call's cost: its
    # `cost_usd` of 0 is then not a price, and reports say "unknown" instead of $0.00.
    cost_known: bool = True

    def as_message(self) -> ChatMessage:
        return ChatMessage.assistant(self.content, self.tool_calls)


# Stream events, in the order a provider yields them: any number of TextDelta and
# ToolCallDelta, then exactly one StreamEnd carrying the assembled response.


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    index: int
    id: str | None
    name: str | None
    arguments_delta: str


@dataclass(frozen=True)
class StreamEnd:
    response: ChatResponse


StreamEvent = TextDelta | ToolCallDelta | StreamEnd


class Provider(Protocol):
    """One LLM provider (Anthropic, OpenAI, OpenRouter, Ollama, or a scripted test model)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> ProviderType: ...

    @property
    def config(self) -> dict[str, Any]:
        """Non-secret configuration (base URL, timeouts) for display."""
        ...

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse: ...

    def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]: ...
