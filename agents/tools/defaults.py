"""The workspace tools, ready to register; other packages add theirs to the same registry."""

from __future__ import annotations

import logging

from agents.tools.base import Tool, ToolContext, ToolRegistry
from agents.tools.commands import RunCommandTool
from agents.tools.edit import EDIT_FILE
from agents.tools.files import LIST_FILES, READ_FILE, WRITE_FILE
from agents.tools.patch import APPLY_PATCH
from agents.tools.sandbox import SandboxRunner
from agents.tools.search import SEARCH_FILES

READ_ONLY_TOOLS = ("list_files", "read_file", "search_files")
WRITE_TOOLS = ("write_file", "edit_file", "apply_patch")


def workspace_tools(runner: SandboxRunner) -> tuple[Tool[ToolContext], ...]:
    return (
        LIST_FILES,
        READ_FILE,
        SEARCH_FILES,
        WRITE_FILE,
        EDIT_FILE,
        APPLY_PATCH,
        RunCommandTool(runner),
    )


def workspace_registry(
    runner: SandboxRunner | None = None, *, logger: logging.Logger | None = None
) -> ToolRegistry[ToolContext]:
    """A registry holding every workspace tool; `register` more (GitHub, team) onto it."""
    return ToolRegistry(workspace_tools(runner or SandboxRunner(logger=logger)), logger=logger)
