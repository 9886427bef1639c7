"""The workspace tools of `agents.tools` bound to one task's workspace, for the agent loop.

`agents.tools` validates arguments, confines paths to the workspace, refuses protected
paths and runs commands in the sandbox; the binding adds what a team task needs on top:
a task that declared the paths it edits holds their locks; an edit outside them first
takes that path's lock through `claim` (or fails naming the task that holds it), and a
report on what each edit left. Result and replay rule are the tools' own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from agents.runtime.ports import CallContext
from agents.team.edit_checks import syntax_report
from agents.tools.base import ToolContext, ToolError, ToolRegistry, ToolResult
from agents.tools.defaults import WRITE_TOOLS
from agents.tools.edit import collect_edits
from agents.tools.patch import touched_paths

# Takes the locks of paths outside the declared ones; raises ToolError when it cannot.
Claim = Callable[[Sequence[str]], None]

# (context, edited paths) -> what to add to the edit's result (syntax errors, lint findings).
AfterEdit = Callable[[ToolContext, Sequence[str]], str | None]


def _normal(path: str) -> str:
    return PurePosixPath(path.strip()).as_posix().removeprefix("./")


def written_paths(name: str, args: dict[str, Any]) -> list[str]:
    """The workspace paths a write tool's call would touch."""
    if name == "apply_patch":
        return sorted({_normal(n) for n in touched_paths(str(args.get("patch", "")))})
    if name == "edit_file":
        try:
            return sorted({_normal(e.path) for e in collect_edits(args)})
        except ToolError:
            return []  # the tool itself reports the malformed call
    path = args.get("path")
    return [_normal(path)] if isinstance(path, str) else []


@dataclass(frozen=True)
class WorkspaceTool:
    """One `agents.tools` tool on one task's workspace, run by the agent loop."""

    registry: ToolRegistry[ToolContext]
    context: ToolContext
    name: str
    # None: any path of the workspace (protected paths are refused by the tools anyway).
    writable: frozenset[str] | None = None
    after_edit: AfterEdit | None = syntax_report
    claim: Claim | None = None

    @property
    def description(self) -> str:
        return self.registry.get(self.name).description

    @property
    def parameters(self) -> dict[str, Any]:
        return self.registry.get(self.name).parameters

    @property
    def replay_safe(self) -> bool:
        return self.registry.replay_safe(self.name)

    def run(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        outside: list[str] = []
        if self.name in WRITE_TOOLS and self.writable is not None:
            outside = [p for p in written_paths(self.name, args) if p not in self.writable]
            if outside and self.claim is None:
                raise ToolError(
                    f"{outside} are not among the paths this task declared "
                    f"({sorted(self.writable)}); finish and name them in your summary"
                )
            if outside and self.claim is not None:
                self.claim(outside)
        result = self.registry.call(self.context, self.name, args)
        output = result.output
        if self.name in WRITE_TOOLS and result.changed_paths and self.after_edit is not None:
            report = self.after_edit(self.context, result.changed_paths)
            if report:
                output = f"{output}\n{report}"
        if outside and result.ok:
            output += (
                f"\n(Outside the paths this task declared: {outside} are now locked for this "
                "task and listed in the pull request.)"
            )
        return replace(result, output=output)


def workspace_toolbox(
    registry: ToolRegistry[ToolContext],
    context: ToolContext,
    *,
    declared: Sequence[str] = (),
    after_edit: AfterEdit | None = syntax_report,
    claim: Claim | None = None,
) -> list[WorkspaceTool]:
    """Every tool of the registry for one task's workspace. An edit outside `declared` must
    `claim` its paths first (without `claim`, it is refused); `after_edit` reports on what
    each edit left (by default, the files' syntax)."""
    writable = frozenset(_normal(p) for p in declared) if declared else None
    return [
        WorkspaceTool(registry, context, name, writable, after_edit, claim)
        for name in registry.names()
    ]
