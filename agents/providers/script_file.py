"""Scripts for the scripted model from JSON files, for `codemonkey run --model scripted:PATH`.

A script is either a list of replies (consumed in order by whoever calls) or a mapping
from role name to its own list (each role consumes its own replies, so the order in which
parallel tasks call the model does not matter). A reply is a string (the final answer),
`{"tool": NAME, "arguments": {...}}`, or `{"content": TEXT, "calls": [tool, ...]}` (which
may add `"cost_usd": 0.25`, what the call is taken to have cost, to show budgets at work, or
`"cost_usd": null` for a model whose price is unknown).

    {"project_manager": [{"tool": "delegate", "arguments": {...}}, "Planned."],
     "backend_developer": [{"tool": "write_file", "arguments": {...}}, "Done."]}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agents.providers import errors
from agents.providers.scripted import ScriptedModel, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, TokenUsage, ToolCall


class ScriptFileError(ValueError):
    """The script file is not valid; the message says where and how to fix it."""


def _tool_call(raw: Any, where: str) -> ToolCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("tool"), str):
        raise ScriptFileError(f"{where}: a tool call is {{'tool': NAME, 'arguments': {{...}}}}")
    arguments = raw.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ScriptFileError(f"{where}: 'arguments' must be a JSON object")
    return call(raw["tool"], **arguments)


def _cost(raw: Any, where: str) -> float:
    if raw is None:  # a model without a known price
        return 0.0
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise ScriptFileError(f"{where}: 'cost_usd' is a number of dollars, 0 or more")
    return float(raw)


def parse_reply(raw: Any, where: str) -> ScriptedReply:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and "tool" in raw:
        return _tool_call(raw, where)
    if isinstance(raw, dict) and ("content" in raw or "calls" in raw):
        calls = [_tool_call(c, f"{where}.calls[{i}]") for i, c in enumerate(raw.get("calls", []))]
        return ChatResponse(
            id="scripted",
            provider="scripted",
            model="scripted",
            content=str(raw.get("content", "")),
            tool_calls=tuple(calls),
            finish_reason="tool_calls" if calls else "stop",
            usage=TokenUsage(input_tokens=10, output_tokens=5),
            cost_usd=_cost(raw.get("cost_usd", 0.0), where),
            cost_known=raw.get("cost_usd", 0.0) is not None,
        )
    raise ScriptFileError(
        f"{where}: a reply is a string, {{'tool': ..., 'arguments': ...}} or "
        "{'content': ..., 'calls': [...], 'cost_usd': ...}"
    )


class _ByRole:
    """Each role consumes its own list of replies."""

    def __init__(self, scripts: Mapping[str, Sequence[ScriptedReply]]) -> None:
        self._scripts = {role: list(replies) for role, replies in scripts.items()}
        self._positions = dict.fromkeys(self._scripts, 0)
        self._lock = threading.Lock()

    def __call__(self, messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        role = options.role or ""
        with self._lock:
            replies = self._scripts.get(role)
            if replies is None or self._positions[role] >= len(replies):
                raise errors.ScriptExhaustedError(
                    f"the script has no (more) replies for role {role!r}; add them under "
                    f"{role!r} in the script file",
                    provider="scripted",
                )
            chosen = replies[self._positions[role]]
            self._positions[role] += 1
            return chosen


def scripted_model_from_json(data: Any, *, latency_seconds: float = 0.0) -> ScriptedModel:
    if isinstance(data, list):
        replies = [parse_reply(r, f"[{i}]") for i, r in enumerate(data)]
        return ScriptedModel(replies, latency_seconds=latency_seconds, strict=True)
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        by_role = {
            role: [parse_reply(r, f"{role}[{i}]") for i, r in enumerate(replies)]
            for role, replies in data.items()
        }
        return ScriptedModel(_ByRole(by_role), latency_seconds=latency_seconds, strict=True)
    raise ScriptFileError("a script is a JSON list of replies or an object {role: [replies]}")


def load_script(path: Path, *, latency_seconds: float = 0.0) -> ScriptedModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScriptFileError(f"cannot read the script {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ScriptFileError(f"{path} is not valid JSON (line {exc.lineno}): fix it") from None
    return scripted_model_from_json(data, latency_seconds=latency_seconds)
