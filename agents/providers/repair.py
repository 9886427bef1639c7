"""Tool-call repair.

Two failure modes of real models are handled here:
- arguments that are not a JSON object: the caller gets one repair round, in which the
  model sees its own call and the parse error and is asked to call again;
- local models that write the call as JSON text in `content` (bare, in a ```json fence or
  in `<tool_call>` tags) instead of using the API's tool-call field: when tools were
  offered and the JSON names one of them, it becomes a real `ToolCall`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, ToolCall

_FENCE = re.compile(r"```(?:json|tool_call)?\s*\n?(.*?)```", re.DOTALL)
_TAG = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def has_invalid_arguments(response: ChatResponse) -> bool:
    return any(call.parse_error for call in response.tool_calls)


def repair_messages(messages: list[ChatMessage], response: ChatResponse) -> list[ChatMessage]:
    """The conversation for the repair round: the bad calls, then one error per call."""
    followup = [*messages, response.as_message()]
    for call in response.tool_calls:
        if call.parse_error:
            text = (
                f"Error: the arguments of your `{call.name}` call could not be used "
                f"({call.parse_error}). Call the tool again with arguments that are one "
                "valid JSON object matching its schema."
            )
            followup.append(ChatMessage.tool(call.id, text, is_error=True))
        else:
            followup.append(
                ChatMessage.tool(call.id, "Not run: another call in this turn was invalid.")
            )
    return followup


def extract_text_tool_calls(content: str, tool_names: set[str]) -> list[ToolCall]:
    """Tool calls written as JSON text; only calls naming an offered tool are accepted."""
    candidates: list[str] = _TAG.findall(content) or _FENCE.findall(content)
    if not candidates and content.strip()[:1] in "{[":
        candidates = [content.strip()]
    calls: list[ToolCall] = []
    for candidate in candidates:
        try:
            value: Any = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        for item in value if isinstance(value, list) else [value]:
            call = _as_call(item, tool_names, len(calls))
            if call is not None:
                calls.append(call)
    return calls


def _as_call(item: Any, tool_names: set[str], index: int) -> ToolCall | None:
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("function"), dict):  # {"function": {"name", "arguments"}}
        item = item["function"]
    name = item.get("name")
    if name not in tool_names:
        return None
    arguments = item.get("arguments", item.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return ToolCall(
                f"text_call_{index}", name, {}, raw_arguments=arguments, parse_error=str(exc)
            )
    if not isinstance(arguments, dict):
        return None
    return ToolCall(f"text_call_{index}", name, arguments)


def recover_text_tool_calls(response: ChatResponse, options: ChatOptions) -> ChatResponse:
    """Turn tool calls written in `content` into real ones (only when tools were offered)."""
    if response.tool_calls or not options.tools or options.tool_choice == "none":
        return response
    calls = extract_text_tool_calls(response.content, {t.name for t in options.tools})
    if not calls:
        return response
    return dataclasses.replace(
        response, content="", tool_calls=tuple(calls), finish_reason="tool_calls"
    )
