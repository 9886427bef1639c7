"""The agent loop's `ToolBox`: the tools a role may use, behind one `ToolRegistry`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agents.providers.types import ToolSpec
from agents.runtime.ports import CallContext
from agents.tools.base import Tool, ToolRegistry, ToolResult


def schema(properties: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


class ToolSet:
    """A `ToolBox` over named tools, restricted to the names a role may use.

    Arguments are validated and a `ToolError` becomes a failed result by the registry, as
    for every tool; any other exception ends the run (the workspace tools contain their own
    bugs in their registry, `agents.team.toolbox`)."""

    def __init__(
        self, tools: Iterable[Tool[CallContext]], *, allowed: Iterable[str] | None = None
    ) -> None:
        allow = None if allowed is None else set(allowed)
        every = list(tools)
        names = [tool.name for tool in every]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two tools are named {name!r}; tool names must be unique")
        self._registry = ToolRegistry[CallContext](
            (tool for tool in every if allow is None or tool.name in allow),
            contain_failures=False,
        )

    @property
    def names(self) -> list[str]:
        return sorted(self._registry.names())

    def specs(self) -> list[ToolSpec]:
        return self._registry.specs(self.names)

    def replay_safe(self, name: str) -> bool:
        return self._registry.replay_safe(name)

    def call(self, name: str, args: dict[str, Any], ctx: CallContext) -> ToolResult:
        return self._registry.call(ctx, name, args)
