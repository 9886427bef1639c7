"""Tools as plain functions, and a `ToolBox` that combines them and enforces a role's rights."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agents.providers.types import ToolSpec
from agents.runtime.ports import CallContext, Tool, ToolError, ToolOutcome

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class FunctionTool:
    spec: ToolSpec
    fn: Callable[[CallContext, dict[str, Any]], ToolOutcome]
    replay_safe: bool

    def run(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome:
        return self.fn(ctx, args)


def schema(properties: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def check_arguments(spec: ToolSpec, args: dict[str, Any]) -> str | None:
    """Top-level JSON Schema checks (required, unknown, types); a message for the model."""
    properties: dict[str, Any] = spec.parameters.get("properties", {})
    missing = [k for k in spec.parameters.get("required", []) if k not in args]
    if missing:
        return f"`{spec.name}` needs the argument(s) {missing}; call it again with them."
    unknown = sorted(set(args) - set(properties))
    if unknown and spec.parameters.get("additionalProperties") is False:
        return f"`{spec.name}` has no argument(s) {unknown}; allowed: {sorted(properties)}."
    for key, value in args.items():
        expected = properties.get(key, {}).get("type")
        if not isinstance(expected, str) or expected not in _JSON_TYPES:
            continue
        wrong_bool = isinstance(value, bool) and expected in ("integer", "number")
        if wrong_bool or not isinstance(value, _JSON_TYPES[expected]):
            return f"`{spec.name}`: argument `{key}` must be a JSON {expected}."
    return None


class ToolSet:
    """A `ToolBox` over named tools, restricted to the names a role may use."""

    def __init__(self, tools: Iterable[Tool], *, allowed: Iterable[str] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        allow = None if allowed is None else set(allowed)
        for tool in tools:
            name = tool.spec.name
            if name in self._tools:
                raise ValueError(f"two tools are named {name!r}; tool names must be unique")
            if allow is None or name in allow:
                self._tools[name] = tool

    @property
    def names(self) -> list[str]:
        return sorted(self._tools)

    def specs(self) -> list[ToolSpec]:
        return [self._tools[name].spec for name in sorted(self._tools)]

    def replay_safe(self, name: str) -> bool:
        tool = self._tools.get(name)
        return tool is not None and tool.replay_safe

    def call(self, name: str, args: dict[str, Any], ctx: CallContext) -> ToolOutcome:
        tool = self._tools.get(name)
        if tool is None:
            return ToolOutcome(
                False, f"There is no tool named `{name}`. Available tools: {self.names}."
            )
        problem = check_arguments(tool.spec, args)
        if problem is not None:
            return ToolOutcome(False, problem)
        try:
            return tool.run(ctx, args)
        except ToolError as exc:
            return ToolOutcome(False, str(exc))
