"""Checking a model's tool arguments against the tool's JSON Schema: the one validation
every tool call passes through, whichever registry holds the tool (`ToolRegistry` for the
workspace tools, `agents.runtime.toolset.ToolSet` for the loop's tools)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def compiled(name: str, parameters: dict[str, Any]) -> Draft202012Validator:
    """The validator of a tool's parameters; ValueError when the schema itself is invalid."""
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        raise ValueError(f"tool {name!r} has an invalid parameters schema: {exc.message}") from None
    return Draft202012Validator(parameters)


def arguments_problem(name: str, validator: Draft202012Validator, args: Any) -> str | None:
    """None when `args` fit the schema, else a message that tells the model how to fix them."""
    errors = sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    lines = []
    for error in errors[:5]:
        where = "/".join(str(p) for p in error.absolute_path) or "(arguments)"
        lines.append(f"- {where}: {error.message}")
    return (
        f"invalid arguments for {name}:\n"
        + "\n".join(lines)
        + "\nCall the tool again with arguments that match its parameters schema."
    )
