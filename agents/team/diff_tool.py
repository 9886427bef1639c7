"""The `diff` tool: the branch's change against its base, with line numbers to comment on."""

from __future__ import annotations

from typing import Any

from agents.diffs import describe_ranges, numbered, parse_diff
from agents.runtime.ports import CallContext, ToolError, ToolResult
from agents.runtime.toolset import schema
from agents.team.changes import branch_diff, rank
from agents.team.ports import Workspace
from agents.tools.base import FunctionTool

MAX_OUTPUT_CHARS = 60_000


def diff_text(ws: Workspace) -> str:
    return branch_diff(ws.git_layout, ws.base_sha)


def diff_tool(ws: Workspace) -> FunctionTool[CallContext]:
    def run(ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        path = args.get("path")
        files = parse_diff(branch_diff(ws.git_layout, ws.base_sha, path or None))
        if path and not files:
            every = [f.path for f in parse_diff(diff_text(ws))]
            raise ToolError(
                f"{path} is not changed on this branch; changed files: {', '.join(every) or 'none'}"
            )
        if not files:
            return ToolResult(True, "No change against the base branch yet.")
        files.sort(key=lambda f: (rank(f.path), f.path))
        legend = (
            "Numbers are new-file lines (review side RIGHT); L<n> marks a deleted line, "
            "old-file line n (side LEFT). Inline comments fit only inside these hunks.\n"
        )
        parts = [legend]
        for diff in files:
            parts.append(numbered(diff) + f"(commentable: {describe_ranges(diff)})\n")
        text = "\n".join(parts)
        if len(text) > MAX_OUTPUT_CHARS:
            names = ", ".join(f.path for f in files)
            text = (
                text[:MAX_OUTPUT_CHARS]
                + f"\n[... cut at {MAX_OUTPUT_CHARS} characters; ask for one file with "
                f"path=<file>. Files: {names}]"
            )
        return ToolResult(True, text)

    return FunctionTool(
        "diff",
        "Show this branch's change against its base as a unified diff with line numbers "
        "(the whole change, or one file with `path`).",
        schema({"path": {"type": "string", "description": "one changed file"}}),
        run,
        replay_safe=True,
    )
