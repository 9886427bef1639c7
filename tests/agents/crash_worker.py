"""A worker process that runs an agent until a tool blocks, so a test can kill it mid-run.

Usage: python -m tests.agents.crash_worker DATABASE_URL TASK_ID WORKSPACE MARKER
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from agents.githost import RepoRef
from agents.providers.scripted import call
from agents.runtime import AgentLoop, AgentRun, CallContext, ToolResult
from agents.runtime.ports import Tool
from agents.runtime.toolset import ToolSet, schema
from agents.team.github_tools import GitHubScope, GitHubTools
from agents.team.localhost import LocalHost
from agents.tools.base import FunctionTool
from storage.agent_steps import AgentStepStore
from storage.side_effects import SideEffects
from storage.sql.database import Database
from tests.agents.helpers import role, scripted, workspace_tools

SCRIPT = [
    call("write_file", path="a.txt", content="one\n"),
    call("comment", body="Working on it."),
    call("checkpoint", label="x"),
]


def tools(
    db: Database, workspace: Path, checkpoint: FunctionTool[CallContext], host: LocalHost
) -> list[Tool[CallContext]]:
    github = GitHubTools(
        host,
        GitHubScope(RepoRef("octo", "hello"), 1, "b", "main", lambda: None, lambda: "0" * 40),
        SideEffects(db),
    )
    return [*workspace_tools(workspace), *github.tools(), checkpoint]


def checkpoint_tool(run: Any) -> FunctionTool[CallContext]:
    return FunctionTool(
        "checkpoint",
        "Wait at a checkpoint.",
        schema({"label": {"type": "string"}}),
        run,
        replay_safe=True,
    )


def main() -> None:
    url, task_id, workspace, marker = sys.argv[1:5]
    db = Database(url)

    def block(ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        Path(marker).write_text("reached", encoding="utf-8")
        time.sleep(120)
        return ToolResult(True, "never")

    host = LocalHost(issue_body="", default_branch="main")
    loop = AgentLoop(
        model=scripted(list(SCRIPT)),
        tools=ToolSet(tools(db, Path(workspace), checkpoint_tool(block), host)),
        steps=AgentStepStore(db),
    )
    asyncio.run(loop.run(AgentRun(int(task_id), role(), "Do it.", "m1")))


if __name__ == "__main__":
    main()
