"""A scripted model for tests (not a real provider): replies come from a list or a function.

It is strict the way chat APIs are: the first message must be the system prompt, every tool
call must be answered by a tool message before the conversation goes on, a tool result must
answer a call that was made, and the model only calls tools it was offered. Running out of
scripted replies is an error, which is how tests catch a repeated model call.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, TokenUsage, ToolCall


@dataclass(frozen=True)
class Reply:
    content: str = ""
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    input_tokens: int = 100
    output_tokens: int = 20
    cost_usd: float = 0.001


def call(name: str, **arguments: Any) -> Reply:
    return Reply(calls=((name, arguments),))


Responder = Callable[[list[ChatMessage], ChatOptions], Reply]


class ScriptExhaustedError(AssertionError):
    pass


def validate_conversation(messages: list[ChatMessage], options: ChatOptions) -> None:
    if not messages or messages[0].role != "system":
        raise ValueError("the first message must be the system prompt")
    pending: set[str] = set()
    for message in messages[1:]:
        if message.role == "tool":
            if message.tool_call_id not in pending:
                raise ValueError(f"tool result {message.tool_call_id} answers no open call")
            pending.discard(message.tool_call_id)
            continue
        if pending:
            raise ValueError(f"tool calls {sorted(pending)} were not answered")
        if message.role == "system":
            raise ValueError("a system message may only come first")
        pending = {c.id for c in message.tool_calls}
    if pending:
        raise ValueError(f"tool calls {sorted(pending)} were not answered")
    if messages[-1].role == "assistant":
        raise ValueError("the conversation must not end with an assistant message")


@dataclass
class ScriptedModel:
    script: list[Reply] | Responder
    latency_seconds: float = 0.0
    requests: list[tuple[list[ChatMessage], ChatOptions]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _position: int = 0

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        validate_conversation(messages, options)
        self.requests.append((list(messages), options))
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        if callable(self.script):
            reply = self.script(messages, options)
        else:
            if self._position >= len(self.script):
                raise ScriptExhaustedError(
                    f"unexpected model call #{self._position + 1}: the script has "
                    f"{len(self.script)} replies"
                )
            reply = self.script[self._position]
            self._position += 1
        offered = {t.name for t in options.tools}
        calls = []
        for name, arguments in reply.calls:
            if name not in offered:
                raise ValueError(f"the scripted reply calls {name!r}, which was not offered")
            calls.append(ToolCall(f"call_{id(self):x}_{next(self._ids)}", name, arguments))
        return ChatResponse(
            id=f"resp_{next(self._ids)}",
            provider="scripted",
            model=options.model,
            content=reply.content,
            tool_calls=tuple(calls),
            finish_reason="tool_calls" if calls else "stop",
            usage=TokenUsage(reply.input_tokens, reply.output_tokens),
            cost_usd=reply.cost_usd,
        )
