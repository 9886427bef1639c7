"""Tools as plain functions, and a `ToolBox` that combines them and enforces a role's rights."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from agents.providers.types import ToolSpec
from agents.runtime.ports import CallContext, Tool, ToolError, ToolResult
from agents.tools.arguments import arguments_problem, compiled


@dataclass(frozen=True)
class FunctionTool:
    spec: ToolSpec
    fn: Callable[[CallContext, dict[str, Any]], ToolResult]
    replay_safe: bool

    def run(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        return self.fn(ctx, args)


def schema(properties: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


class ToolSet:
    """A `ToolBox` over named tools, restricted to the names a role may use."""

    def __init__(self, tools: Iterable[Tool], *, allowed: Iterable[str] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        allow = None if allowed is None else set(allowed)
        for tool in tools:
            name = tool.spec.name
            if name in self._tools:
                raise ValueError(f"two tools are named {name!r}; tool names must be unique")
            if allow is None or name in allow:
                self._tools[name] = tool
                self._validators[name] = compiled(name, tool.spec.parameters)

    @property
    def names(self) -> list[str]:
        return sorted(self._tools)

    def specs(self) -> list[ToolSpec]:
        return [self._tools[name].spec for name in sorted(self._tools)]

    def replay_safe(self, name: str) -> bool:
        tool = self._tools.get(name)
        return tool is not None and tool.replay_safe

    def call(self, name: str, args: dict[str, Any], ctx: CallContext) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult(
                False, f"There is no tool named `{name}`. Available tools: {self.names}."
            )
        problem = arguments_problem(name, self._validators[name], args)
        if problem is not None:
            return ToolResult(False, problem)
        try:
            return tool.run(ctx, args)
        except ToolError as exc:
            return ToolResult(False, str(exc))
