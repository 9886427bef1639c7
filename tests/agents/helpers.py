"""Shared builders for the agent tests."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from agents.providers.scripted import Responder, ScriptedModel, ScriptedReply
from agents.providers.types import TokenUsage
from agents.roles import Role, load_roles
from agents.team.toolbox import WorkspaceTool, workspace_toolbox
from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry
from storage.sql.database import Database
from storage.tasks import NewTask, create_task


def make_task(
    db: Database,
    *,
    kind: str = "implement",
    role: str = "backend_developer",
    group_key: str | None = "octo/hello#1",
    paths: tuple[str, ...] = (),
    payload: dict[str, object] | None = None,
) -> int:
    with db.session() as session:
        task, _ = create_task(
            session,
            NewTask(
                kind=kind,
                role=role,
                group_key=group_key,
                title=f"{kind} task",
                paths=paths,
                payload=dict(payload or {}),
            ),
        )
        return task.id


def role(name: str = "backend_developer") -> Role:
    return load_roles()[name]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / "README.md").write_text("# demo\n", encoding="utf-8")
    (path / "app.py").write_text("def greet():\n    return 'hi'\n", encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def scripted(
    replies: Sequence[ScriptedReply] | Responder, *, latency_seconds: float = 0.0
) -> ScriptedModel:
    """The package's scripted model, strict about the conversation, with a per-call usage
    (100 + 20 tokens, $0.001) that budget tests can count on."""
    return ScriptedModel(
        replies,
        strict=True,
        latency_seconds=latency_seconds,
        usage=TokenUsage(input_tokens=100, output_tokens=20),
        cost_usd=0.001,
    )


def workspace_tools(root: Path, declared: Sequence[str] = ()) -> list[WorkspaceTool]:
    """The real workspace tools on `root`, as the agent loop sees them."""
    return workspace_toolbox(workspace_registry(), ToolContext(workspace=root), declared=declared)
