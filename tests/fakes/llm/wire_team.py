"""A scripted team behind a provider's wire format.

The flow scripts (`tests/flows/scripts.py`) are written once, as functions of the
conversation and the role. `WireTeam` lets the strict provider fakes play them: it reads
each accepted request body the way that provider's API defines it, works out which role is
asking from the system prompt (the only thing a real model knows about who it is), calls
the script, and turns the answer into the fake's reply. Every request it answers is kept
in `requests`, in the same shape the in-process `ScriptedModel` records.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from agents.providers import errors
from agents.providers.scripted import Responder, ScriptedRequest, check_conversation
from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, ToolCall, ToolSpec
from agents.roles import load_roles
from tests.fakes.llm.script import Call, Fail, Reply, Text, Tools


def _text(content: Any) -> str:
    """Text of an OpenAI or Anthropic content value (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def openai_messages(body: dict[str, Any]) -> tuple[list[ChatMessage], list[ToolSpec]]:
    messages: list[ChatMessage] = []
    for message in body["messages"]:
        role = message["role"]
        if role in ("system", "developer"):
            messages.append(ChatMessage.system(_text(message.get("content"))))
        elif role == "user":
            messages.append(ChatMessage.user(_text(message.get("content"))))
        elif role == "assistant":
            calls = tuple(
                ToolCall(
                    c["id"], c["function"]["name"], json.loads(c["function"]["arguments"] or "{}")
                )
                for c in message.get("tool_calls") or ()
            )
            messages.append(ChatMessage.assistant(_text(message.get("content")), calls))
        elif role == "tool":
            messages.append(ChatMessage.tool(message["tool_call_id"], _text(message["content"])))
    return messages, _function_tools(body)


def _function_tools(body: dict[str, Any]) -> list[ToolSpec]:
    """OpenAI's and Ollama's `tools`: `{"type": "function", "function": {...}}`."""
    return [
        ToolSpec(
            t["function"]["name"],
            t["function"].get("description", ""),
            t["function"].get("parameters") or {"type": "object"},
        )
        for t in body.get("tools") or ()
    ]


def anthropic_messages(body: dict[str, Any]) -> tuple[list[ChatMessage], list[ToolSpec]]:
    messages = [ChatMessage.system(_text(body.get("system")))]
    for message in body["messages"]:
        content = message["content"]
        blocks: list[dict[str, Any]] = (
            [{"type": "text", "text": content}] if isinstance(content, str) else content
        )
        if message["role"] == "assistant":
            text = "".join(b.get("text", "") for b in blocks if b["type"] == "text")
            calls = tuple(
                ToolCall(b["id"], b["name"], dict(b["input"]))
                for b in blocks
                if b["type"] == "tool_use"
            )
            messages.append(ChatMessage.assistant(text, calls))
            continue
        for block in blocks:
            if block["type"] == "tool_result":
                messages.append(
                    ChatMessage.tool(
                        block["tool_use_id"],
                        _text(block.get("content")),
                        is_error=bool(block.get("is_error")),
                    )
                )
            elif block["type"] == "text":
                messages.append(ChatMessage.user(block["text"]))
    tools = [
        ToolSpec(t["name"], t.get("description", ""), t.get("input_schema") or {"type": "object"})
        for t in body.get("tools") or ()
    ]
    return messages, tools


def ollama_messages(body: dict[str, Any]) -> tuple[list[ChatMessage], list[ToolSpec]]:
    """Ollama's tool calls carry no ids: ids are made up in order, as our provider does."""
    messages: list[ChatMessage] = []
    pending: list[str] = []
    counter = 0
    for message in body["messages"]:
        role = message["role"]
        if role == "assistant":
            calls = []
            for c in message.get("tool_calls") or ():
                counter += 1
                calls.append(
                    ToolCall(f"ollama_{counter}", c["function"]["name"], c["function"]["arguments"])
                )
            pending = [c.id for c in calls]
            messages.append(ChatMessage.assistant(message.get("content") or "", tuple(calls)))
        elif role == "tool":
            call_id = pending.pop(0) if pending else f"ollama_orphan_{counter}"
            messages.append(ChatMessage.tool(call_id, message.get("content") or ""))
        elif role == "system":
            messages.append(ChatMessage.system(message.get("content") or ""))
        else:
            messages.append(ChatMessage.user(message.get("content") or ""))
    return messages, _function_tools(body)


READERS = {
    "openai": openai_messages,
    "openrouter": openai_messages,
    "anthropic": anthropic_messages,
    "ollama": ollama_messages,
}


@functools.cache
def _openings() -> tuple[tuple[str, str], ...]:
    return tuple(
        (role.system_prompt.strip().splitlines()[0], role.name) for role in load_roles().values()
    )


def role_of(system: str) -> str | None:
    """The role whose system prompt opens this conversation."""
    for opening, name in _openings():
        if system.strip().startswith(opening):
            return name
    return None


@dataclass
class WireTeam:
    provider: str
    script: Responder
    requests: list[ScriptedRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: Any) -> Reply:
        messages, specs = READERS[self.provider](body)
        offered = [spec.name for spec in specs]
        options = ChatOptions(
            model=str(body.get("model", "")),
            role=role_of(messages[0].content) if messages else None,
            tools=tuple(specs),
        )
        with self._lock:
            self.requests.append(
                ScriptedRequest(tuple(messages), options, bool(body.get("stream")))
            )
        try:
            check_conversation(messages, options)
            chosen = self.script(messages, options)
        except errors.ProviderError as exc:
            return Fail(400, str(exc))
        except AssertionError as exc:
            # A script surprised by the request: visible in the test's failure output.
            self.problems.append(str(exc))
            return Fail(400, f"the scripted team cannot answer this request: {exc}")
        return self._reply(chosen, offered)

    def _reply(self, chosen: Any, offered: list[str]) -> Reply:
        if isinstance(chosen, errors.ProviderError):
            return Fail(chosen.status or 500, str(chosen))
        if isinstance(chosen, str):
            return Text(chosen)
        if isinstance(chosen, ChatResponse):
            if not chosen.tool_calls:
                return Text(chosen.content)
            calls: tuple[ToolCall, ...] = chosen.tool_calls
        elif isinstance(chosen, ToolCall):
            calls = (chosen,)
        else:
            calls = tuple(chosen)
        unknown = [c.name for c in calls if c.name not in offered]
        if unknown:
            self.problems.append(f"script called {unknown}, not offered: {offered}")
            return Fail(400, f"the script called tools the request did not offer: {unknown}")
        return Tools(tuple(Call(c.name, dict(c.arguments), c.id) for c in calls))
