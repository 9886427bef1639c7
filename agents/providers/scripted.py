"""A scripted model: a fixed sequence of replies, for tests and offline demos.

It is NOT a language model. Each call consumes the next reply of the script; running out
raises `ScriptExhaustedError`. Every request it receives is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from agents.providers import errors
from agents.providers.types import (
    ChatMessage,
    ChatOptions,
    ChatResponse,
    ProviderType,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
)

# A reply is text, one tool call, several tool calls, a full response, or an error to raise.
ScriptedReply = str | ToolCall | Sequence[ToolCall] | ChatResponse | errors.ProviderError


@dataclass(frozen=True)
class ScriptedRequest:
    messages: tuple[ChatMessage, ...]
    options: ChatOptions
    streamed: bool


class ScriptedModel:
    """Implements `Provider`. Register it under a provider name to route `name:model` to it."""

    type: ProviderType = "local"

    def __init__(
        self,
        replies: Sequence[ScriptedReply],
        *,
        provider_id: str = "scripted",
        latency_seconds: float = 0.0,
        usage: TokenUsage | None = None,
    ) -> None:
        self._replies = list(replies)
        self._position = 0
        self._id = provider_id
        self._latency = latency_seconds
        self._usage = usage or TokenUsage(input_tokens=10, output_tokens=5)
        self.requests: list[ScriptedRequest] = []

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return "Scripted test model"

    @property
    def config(self) -> dict[str, Any]:
        return {"name": self._id, "scripted": True, "replies": len(self._replies)}

    @property
    def remaining(self) -> int:
        return len(self._replies) - self._position

    async def _next(
        self, messages: list[ChatMessage], options: ChatOptions, *, streamed: bool
    ) -> ChatResponse:
        self.requests.append(ScriptedRequest(tuple(messages), options, streamed))
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._position >= len(self._replies):
            raise errors.ScriptExhaustedError(
                f"the scripted model {self._id!r} ran out of replies after {self._position} "
                "calls; add replies to its script",
                provider=self._id,
            )
        reply = self._replies[self._position]
        self._position += 1
        if isinstance(reply, errors.ProviderError):
            raise reply
        if isinstance(reply, ChatResponse):
            return reply
        calls: tuple[ToolCall, ...]
        if isinstance(reply, str):
            content, calls = reply, ()
        elif isinstance(reply, ToolCall):
            content, calls = "", (reply,)
        else:
            content, calls = "", tuple(reply)
        return ChatResponse(
            id=f"scripted-{self._position}",
            provider=self._id,
            model=options.model,
            content=content,
            tool_calls=calls,
            finish_reason="tool_calls" if calls else "stop",
            usage=self._usage,
        )

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        return await self._next(messages, options, streamed=False)

    async def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        response = await self._next(messages, options, streamed=True)
        words = response.content.split(" ")
        for position, word in enumerate(words):
            if word or position:
                yield TextDelta(word if position == 0 else " " + word)
        for index, call in enumerate(response.tool_calls):
            arguments = call.raw_arguments or json.dumps(call.arguments)
            yield ToolCallDelta(index, call.id, call.name, arguments)
        yield StreamEnd(response)
