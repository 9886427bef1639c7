"""The registry: specs, schema validation, and failures that come back as results."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from agents.providers.types import ToolSpec
from agents.tools.base import FunctionTool, Tool, ToolContext, ToolError, ToolRegistry, ToolResult

ECHO_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "times": {"type": "integer", "minimum": 1}},
    "required": ["text"],
    "additionalProperties": False,
}


def _echo(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    return ToolResult(True, args["text"] * args.get("times", 1))


def _refuse(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    raise ToolError("not today; try tomorrow")


def _crash(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    raise RuntimeError("boom")


ECHO = FunctionTool("echo", "Repeat text.", ECHO_SCHEMA, _echo)
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def test_workspace_registry_lists_every_tool_with_valid_specs(
    registry: ToolRegistry[ToolContext],
) -> None:
    assert registry.names() == (
        "list_files",
        "read_file",
        "search_files",
        "write_file",
        "edit_file",
        "apply_patch",
        "run_command",
    )
    specs = registry.specs(["read_file", "run_command"])
    assert [s.name for s in specs] == ["read_file", "run_command"]
    assert all(isinstance(s, ToolSpec) and s.parameters["type"] == "object" for s in specs)
    assert len(registry.specs()) == 7
    for name in registry.names():
        assert isinstance(registry.get(name), Tool)


def test_other_tools_register_with_the_same_shape(ctx: ToolContext) -> None:
    registry = ToolRegistry([ECHO])
    registry.register(FunctionTool("refuse", "Always refuses.", EMPTY_SCHEMA, _refuse))
    assert registry.call(ctx, "echo", {"text": "ab", "times": 2}) == ToolResult(True, "abab")
    assert registry.call(ctx, "refuse", {}) == ToolResult(False, "not today; try tomorrow")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(ECHO)
    with pytest.raises(ValueError, match="invalid parameters schema"):
        registry.register(FunctionTool("bad", "x", {"type": "nonsense"}, _echo))


def test_unknown_tool_and_get_name_the_available_ones(ctx: ToolContext) -> None:
    registry = ToolRegistry([ECHO])
    result = registry.call(ctx, "nope", {})
    assert not result.ok and "no tool named `nope`" in result.output and "echo" in result.output
    limited = registry.call(ctx, "echo", {"text": "a"}, allowed=("other",))
    assert not limited.ok
    assert limited.output == (
        "There is no tool named `echo`; use one of: (none: answer without tools)"
    )
    with pytest.raises(KeyError, match="available: echo"):
        registry.get("nope")
    with pytest.raises(KeyError):
        registry.specs(["nope"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, "'text' is a required property"),
        ({"text": 3}, "text: 3 is not of type 'string'"),
        ({"text": "a", "times": 0}, "times: 0 is less than the minimum of 1"),
        ({"text": "a", "colour": "red"}, "Additional properties are not allowed"),
        ("not an object", "is not of type 'object'"),
    ],
)
def test_schema_invalid_arguments_are_reported_not_raised(
    ctx: ToolContext, args: Any, expected: str
) -> None:
    result = ToolRegistry([ECHO]).call(ctx, "echo", args)
    assert not result.ok
    assert result.output.startswith("invalid arguments for echo:")
    assert expected in result.output
    assert "match its parameters schema" in result.output


def test_a_crashing_tool_becomes_a_failed_result_and_is_logged(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    registry = ToolRegistry([FunctionTool("crash", "Crashes.", EMPTY_SCHEMA, _crash)])
    with caplog.at_level(logging.ERROR):
        result = registry.call(ctx, "crash", {})
    assert not result.ok and "RuntimeError: boom" in result.output
    assert "tool crash failed (task 7)" in caplog.text


def test_without_containment_only_a_tool_error_becomes_a_result(ctx: ToolContext) -> None:
    """The agent loop's registry: a failure the model cannot fix ends the run."""
    tools = [
        FunctionTool("crash", "Crashes.", EMPTY_SCHEMA, _crash),
        FunctionTool("refuse", "Refuses.", EMPTY_SCHEMA, _refuse),
    ]
    registry = ToolRegistry(tools, contain_failures=False)
    refused = registry.call(ctx, "refuse", {})
    assert not refused.ok and refused.output == "not today; try tomorrow"
    with pytest.raises(RuntimeError, match="boom"):
        registry.call(ctx, "crash", {})


def test_every_workspace_tool_rejects_schema_invalid_args(
    registry: ToolRegistry[ToolContext], ctx: ToolContext, tmp_path: Path
) -> None:
    for name in registry.names():
        result = registry.call(ctx, name, {"unexpected": True})
        assert not result.ok, name
        assert result.output.startswith(f"invalid arguments for {name}:"), result.output
