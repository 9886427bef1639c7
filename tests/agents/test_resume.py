from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agents.githost import RepoRef
from agents.providers.scripted import ScriptedModel, call
from agents.runtime import AgentLoop, AgentRun, CallContext, ToolResult
from agents.runtime.loop import INTERRUPTED
from agents.runtime.ports import Tool
from agents.runtime.toolset import ToolSet
from agents.team.github_tools import GitHubScope, GitHubTools
from agents.team.localhost import LocalHost
from agents.tools.base import FunctionTool
from storage.agent_steps import AgentStepStore
from storage.side_effects import SideEffects
from storage.sql.database import Database
from tests.agents import crash_worker
from tests.agents.helpers import make_task, role, scripted, workspace_tools


class WorkerDiedError(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


def crash_after(tool: Tool[CallContext], times: int = 1) -> FunctionTool[CallContext]:
    """The tool does its work, then the 'process dies' before the result is recorded."""
    remaining = [times]

    def run(ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        outcome = tool.run(ctx, args)
        if remaining[0] > 0:
            remaining[0] -= 1
            raise WorkerDiedError
        return outcome

    return FunctionTool(tool.name, tool.description, tool.parameters, run, tool.replay_safe)


def _github(db: Database, host: LocalHost) -> GitHubTools:
    scope = GitHubScope(RepoRef("octo", "hello"), 1, "b", "main", lambda: None, lambda: "0" * 40)
    return GitHubTools(host, scope, SideEffects(db))


def _run(task_id: int) -> AgentRun:
    return AgentRun(task_id, role("qa"), "Test the change.", "m1", group_key="octo/hello#1")


async def test_crash_after_a_comment_resumes_without_repeating_it(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    host = LocalHost(issue_body="", default_branch="main")
    files = workspace_tools(tmp_path)
    comment = next(t for t in _github(database, host).tools() if t.name == "comment")
    finish_reply = call("finish", summary="done")
    script = [
        call("write_file", path="a.txt", content="1"),
        call("comment", body="Tests are running."),
        finish_reply,
    ]
    first_model = scripted(script[:2])
    crashing = ToolSet([*files, crash_after(comment)])
    with pytest.raises(WorkerDiedError):
        await AgentLoop(model=first_model, tools=crashing, steps=AgentStepStore(database)).run(
            _run(task_id)
        )
    assert [r.action for r in host.records] == ["comment"]

    # A new worker: a fresh model that only has the replies not yet recorded.
    resumed_model = scripted(script[2:])
    healthy = ToolSet([*files, comment, *_finish(database, task_id)])
    result = await AgentLoop(
        model=resumed_model, tools=healthy, steps=AgentStepStore(database)
    ).run(_run(task_id))

    assert result.status == "finished" and result.summary == "done"
    assert [r.action for r in host.records] == ["comment"]  # posted exactly once
    assert len(first_model.requests) + len(resumed_model.requests) == 3
    assert result.model_calls_made == 1 and result.spend.model_calls == 3
    assert result.changed_paths == ("a.txt",)
    # The resumed model saw the whole conversation, including the replayed comment result.
    messages = resumed_model.requests[0].messages
    assert [m.role for m in messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
    ]
    assert messages[-1].content.startswith("commented: local://comment/")
    kinds = [s.kind for s in AgentStepStore(database).steps(task_id)]
    assert kinds.count("tool_call") == 3 and kinds.count("response") == 3


def _finish(db: Database, task_id: int) -> list[FunctionTool[CallContext]]:
    from agents.team.tools import TeamScope, TeamTools

    return [
        t
        for t in TeamTools(db, TeamScope(task_id, role("qa")), roles={}).tools()
        if t.name == "finish"
    ]


async def test_interrupted_unsafe_tool_is_not_repeated(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    (tmp_path / "a.py").write_text("x = 1\n")
    files = {t.name: t for t in workspace_tools(tmp_path)}
    edit = call("edit_file", edits=[{"path": "a.py", "old": "x = 1", "new": "x = 1\nx += 1"}])
    crashing = ToolSet([crash_after(files["edit_file"]), *_finish(database, task_id)])
    with pytest.raises(WorkerDiedError):
        await AgentLoop(model=scripted([edit]), tools=crashing, steps=AgentStepStore(database)).run(
            _run(task_id)
        )

    resumed = scripted([call("finish", summary="checked")])
    healthy = ToolSet([files["edit_file"], *_finish(database, task_id)])
    result = await AgentLoop(model=resumed, tools=healthy, steps=AgentStepStore(database)).run(
        _run(task_id)
    )
    assert result.status == "finished"
    assert (tmp_path / "a.py").read_text() == "x = 1\nx += 1\n"  # applied once
    last = resumed.requests[0].messages[-1]
    assert last.role == "tool" and last.is_error and last.content == INTERRUPTED


async def test_model_failure_mid_call_is_retried_once_on_resume(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)

    class ProviderDown(ScriptedModel):
        async def chat(self, messages: Any, options: Any) -> Any:
            raise ConnectionError("provider unreachable")

    with pytest.raises(ConnectionError):
        await AgentLoop(
            model=ProviderDown([]),
            tools=ToolSet(_finish(database, task_id)),
            steps=AgentStepStore(database),
        ).run(_run(task_id))
    model = scripted([call("finish", summary="ok")])
    result = await AgentLoop(
        model=model, tools=ToolSet(_finish(database, task_id)), steps=AgentStepStore(database)
    ).run(_run(task_id))
    assert result.status == "finished" and len(model.requests) == 1
    kinds = [s.kind for s in AgentStepStore(database).steps(task_id)]
    # The first request was recorded; its response never came, so it was asked again.
    assert kinds == ["start", "request", "request", "response", "tool_call", "tool_result", "end"]


async def test_killed_worker_process_resumes_from_its_last_step(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    marker = tmp_path / "reached"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.agents.crash_worker",
            database.url.render_as_string(hide_password=False),
            str(task_id),
            str(tmp_path),
            str(marker),
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert worker.poll() is None, "the worker exited before reaching the checkpoint"
            assert time.monotonic() < deadline, "the worker never reached the checkpoint"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL

    host = LocalHost(issue_body="", default_branch="main")
    passed = crash_worker.checkpoint_tool(lambda ctx, args: ToolResult(True, "passed"))
    tools = crash_worker.tools(database, tmp_path, passed, host)
    model = scripted([call("finish", summary="resumed")])
    loop = AgentLoop(
        model=model,
        tools=ToolSet([*_finish(database, task_id), *tools]),
        steps=AgentStepStore(database),
    )
    result = await loop.run(_run(task_id))
    assert result.status == "finished" and result.summary == "resumed"
    assert len(model.requests) == 1  # the three recorded responses were not requested again
    assert host.records == []  # the comment was posted by the dead worker, not again
    effects = SideEffects(database)
    steps = AgentStepStore(database).steps(task_id)
    comment_key = next(
        s.payload["key"] for s in steps if s.kind == "tool_call" and s.payload["name"] == "comment"
    )
    assert effects.recorded(comment_key) is not None
    assert (tmp_path / "a.txt").read_text() == "one\n"
    assert result.changed_paths == ("a.txt",)


async def test_a_resumed_review_run_still_returns_its_verdict(
    database: Database, tmp_path: Path
) -> None:
    """The verdict is the run's result: a run that dies after the review was recorded
    returns it when resumed, though the review tool does not run again."""
    from agents.team.review_verdict import ReviewNote, ReviewVerdict

    task_id = make_task(database)
    host = LocalHost(issue_body="", default_branch="main")
    scope = GitHubScope(RepoRef("octo", "hello"), 1, "b", "main", lambda: 7, lambda: "0" * 40)
    review = next(
        t for t in GitHubTools(host, scope, SideEffects(database)).tools() if t.name == "review"
    )
    files = workspace_tools(tmp_path)
    write = next(t for t in files if t.name == "write_file")
    script = [
        call("review", event="COMMENT", body="Looks fine."),
        call(
            "review",
            event="REQUEST_CHANGES",
            body="Handle the empty name.",
            comments=[{"path": "app.py", "line": 2, "body": "None here"}],
        ),
        call("write_file", path="notes.txt", content="x"),
        call("finish", summary="reviewed"),
    ]
    crashing = ToolSet([review, crash_after(write)])
    with pytest.raises(WorkerDiedError):
        await AgentLoop(
            model=scripted(script[:3]), tools=crashing, steps=AgentStepStore(database)
        ).run(_run(task_id))

    healthy = ToolSet([review, write, *_finish(database, task_id)])
    result = await AgentLoop(
        model=scripted(script[3:]), tools=healthy, steps=AgentStepStore(database)
    ).run(_run(task_id))

    assert result.status == "finished"
    assert [r.action for r in host.records] == ["review", "review"]  # none posted again
    verdict = ReviewVerdict.of(result)
    assert verdict is not None and verdict.requests_changes  # the last review, not the first
    assert verdict.body == "Handle the empty name."
    assert verdict.notes == (ReviewNote("app.py", 2, "None here"),)
