"""A scripted model: a fixed sequence of replies (or a function of the request), for tests
and offline demos.

It is NOT a language model. Each call consumes the next reply of the script; running out
raises `ScriptExhaustedError`. Every request it receives is recorded for assertions. With
`strict=True` it checks the conversation the way chat APIs do (system prompt first, every
tool call answered before the conversation goes on, only offered tools called), so a
runtime bug that a real provider would reject fails the test too. Scripts can be loaded
from JSON files (`agents.providers.script_file`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
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
# Or a function choosing the reply from the request (e.g. by `options.role`).
Responder = Callable[[list[ChatMessage], ChatOptions], ScriptedReply]


def call(name: str, /, **arguments: Any) -> ToolCall:
    """A tool call with a fresh id, for scripts."""
    return ToolCall(f"call_{uuid.uuid4().hex[:12]}", name, arguments)


def reply(
    content: str = "",
    calls: Sequence[ToolCall] = (),
    *,
    input_tokens: int = 10,
    output_tokens: int = 5,
    cost_usd: float = 0.0,
) -> ChatResponse:
    """A full scripted response, when a test needs its usage or cost."""
    return ChatResponse(
        id=f"scripted-{uuid.uuid4().hex[:8]}",
        provider="scripted",
        model="scripted",
        content=content,
        tool_calls=tuple(calls),
        finish_reason="tool_calls" if calls else "stop",
        usage=TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens),
        cost_usd=cost_usd,
    )


def check_conversation(messages: Sequence[ChatMessage], options: ChatOptions) -> None:
    """What chat APIs reject: raises `InvalidRequestError` naming the problem."""
    problem = _conversation_problem(messages)
    if problem is not None:
        raise errors.InvalidRequestError(f"scripted model: {problem}", provider="scripted")


def _conversation_problem(messages: Sequence[ChatMessage]) -> str | None:
    if not messages or messages[0].role != "system":
        return "the first message must be the system prompt"
    pending: set[str] = set()
    for message in messages[1:]:
        if message.role == "tool":
            if message.tool_call_id not in pending:
                return f"tool result {message.tool_call_id} answers no open call"
            pending.discard(message.tool_call_id or "")
            continue
        if pending:
            return f"tool calls {sorted(pending)} were not answered"
        if message.role == "system":
            return "a system message may only come first"
        pending = {c.id for c in message.tool_calls}
    if pending:
        return f"tool calls {sorted(pending)} were not answered"
    if messages[-1].role == "assistant":
        return "the conversation must not end with an assistant message"
    return None


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
        replies: Sequence[ScriptedReply] | Responder,
        *,
        provider_id: str = "scripted",
        latency_seconds: float = 0.0,
        usage: TokenUsage | None = None,
        cost_usd: float = 0.0,
        strict: bool = False,
    ) -> None:
        self._responder = replies if callable(replies) else None
        self._replies: list[ScriptedReply] = [] if callable(replies) else list(replies)
        self._cost = cost_usd
        self._strict = strict
        self._position = 0
        self._used_ids: set[str] = set()
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

    def _take(self, messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if self._responder is not None:
            self._position += 1
            return self._responder(messages, options)
        if self._position >= len(self._replies):
            raise errors.ScriptExhaustedError(
                f"the scripted model {self._id!r} ran out of replies after {self._position} "
                "calls; add replies to its script",
                provider=self._id,
            )
        chosen = self._replies[self._position]
        self._position += 1
        return chosen

    async def _next(
        self, messages: list[ChatMessage], options: ChatOptions, *, streamed: bool
    ) -> ChatResponse:
        if self._strict:
            check_conversation(messages, options)
        self.requests.append(ScriptedRequest(tuple(messages), options, streamed))
        if self._latency:
            await asyncio.sleep(self._latency)
        chosen = self._take(messages, options)
        if isinstance(chosen, errors.ProviderError):
            raise chosen
        calls: tuple[ToolCall, ...]
        if isinstance(chosen, ChatResponse):
            self._check_offered(chosen.tool_calls, options)
            return chosen
        if isinstance(chosen, str):
            content, calls = chosen, ()
        elif isinstance(chosen, ToolCall):
            content, calls = "", (chosen,)
        else:
            content, calls = "", tuple(chosen)
        self._check_offered(calls, options)
        calls = self._fresh_ids(calls)
        return ChatResponse(
            id=f"scripted-{self._position}",
            provider=self._id,
            model=options.model,
            content=content,
            tool_calls=calls,
            finish_reason="tool_calls" if calls else "stop",
            usage=self._usage,
            cost_usd=self._cost,
        )

    def _fresh_ids(self, calls: tuple[ToolCall, ...]) -> tuple[ToolCall, ...]:
        """A script may repeat a call; real APIs never reuse an id within a conversation."""
        out = []
        for tool_call in calls:
            if tool_call.id in self._used_ids:
                tool_call = dataclasses.replace(tool_call, id=f"call_{uuid.uuid4().hex[:12]}")
            self._used_ids.add(tool_call.id)
            out.append(tool_call)
        return tuple(out)

    def _check_offered(self, calls: Sequence[ToolCall], options: ChatOptions) -> None:
        if not self._strict:
            return
        offered = {t.name for t in options.tools}
        for tool_call in calls:
            if tool_call.name not in offered:
                raise errors.InvalidRequestError(
                    f"scripted model: the script calls {tool_call.name!r}, which the request "
                    f"did not offer (offered: {sorted(offered)}); fix the script or the role",
                    provider=self._id,
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
