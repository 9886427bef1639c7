"""Translation between OpenAI's chat-completions wire format and our normalised chat types."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from agents.providers.types import (
    ChatMessage,
    ChatResponse,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
)
from bot.v1.schemas import ChatCompletionRequest


class RequestConversionError(ValueError):
    """The request is well-formed JSON but cannot be understood (e.g. bad tool arguments)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def to_messages(request: ChatCompletionRequest) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for index, message in enumerate(request.messages):
        role = "system" if message.role == "developer" else message.role
        if role == "assistant":
            calls = tuple(
                ToolCall(call.id, call.function.name, _arguments(call.function.arguments, index))
                for call in message.tool_calls or ()
            )
            messages.append(ChatMessage.assistant(message.text(), calls))
        elif role == "tool":
            assert message.tool_call_id is not None
            messages.append(ChatMessage.tool(message.tool_call_id, message.text()))
        else:
            messages.append(ChatMessage(role, message.text()))
    return messages


def to_tool_specs(request: ChatCompletionRequest) -> tuple[ToolSpec, ...]:
    return tuple(
        ToolSpec(t.function.name, t.function.description, t.function.parameters)
        for t in request.tools or ()
    )


def _arguments(raw: str, index: int) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise RequestConversionError(
            f"messages[{index}].tool_calls: 'arguments' must be a JSON object string ({exc.msg})",
            param=f"messages[{index}].tool_calls",
        ) from None
    if not isinstance(value, dict):
        raise RequestConversionError(
            f"messages[{index}].tool_calls: 'arguments' must encode a JSON object",
            param=f"messages[{index}].tool_calls",
        )
    return value


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def usage_body(usage: TokenUsage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
    }


def _tool_calls_body(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
        }
        for call in calls
    ]


def completion_body(response: ChatResponse, model: str, cid: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": response.content if response.content or not response.tool_calls else None,
        "refusal": None,
    }
    if response.tool_calls:
        message["tool_calls"] = _tool_calls_body(response.tool_calls)
    return {
        "id": cid or completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": response.finish_reason,
            }
        ],
        "usage": usage_body(response.usage),
    }


class ChunkWriter:
    """Builds `chat.completion.chunk` SSE lines in the order OpenAI sends them."""

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self.id = completion_id()
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage

    def _line(self, choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = usage
        return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"

    def _delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return self._line([choice])

    def role(self) -> bytes:
        return self._delta({"role": "assistant", "content": "", "refusal": None})

    def event(self, event: StreamEvent) -> bytes | None:
        if isinstance(event, TextDelta):
            return self._delta({"content": event.text}) if event.text else None
        if isinstance(event, ToolCallDelta):
            call: dict[str, Any] = {"index": event.index}
            if event.id is not None:
                call["id"] = event.id
                call["type"] = "function"
            function: dict[str, str] = {"arguments": event.arguments_delta}
            if event.name is not None:
                function["name"] = event.name
            call["function"] = function
            return self._delta({"tool_calls": [call]})
        return None

    def finish(self, end: StreamEnd) -> bytes:
        lines = self._delta({}, end.response.finish_reason)
        if self.include_usage:
            lines += self._line([], usage_body(end.response.usage))
        return lines + b"data: [DONE]\n\n"

    def error(self, message: str, error_type: str = "server_error") -> bytes:
        body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
        return b"data: " + json.dumps(body).encode() + b"\n\n"


async def sse_stream(
    events: AsyncIterator[StreamEvent], writer: ChunkWriter
) -> AsyncIterator[bytes]:
    """Forward each upstream event as soon as it arrives; nothing is buffered."""
    yield writer.role()
    async for event in events:
        if isinstance(event, StreamEnd):
            yield writer.finish(event)
            return
        line = writer.event(event)
        if line is not None:
            yield line
