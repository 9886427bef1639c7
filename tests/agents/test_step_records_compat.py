"""Steps persisted by the previous release still resume: a task in flight during an upgrade
continues from its records. The payloads below are written literally, in the shape the
previous release stored (`tool_result` with ok/output/changed_paths/finished/communicated/
data, and the older one without `data`), not produced by today's code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.runtime import AgentLoop, AgentRun
from agents.runtime.toolset import ToolSet
from storage.agent_steps import AgentStepStore, StepRecord
from storage.sql.database import Database
from tests.agents.helpers import make_task, role, scripted, workspace_tools

USAGE = {"input_tokens": 100, "output_tokens": 20, "cache_read_tokens": 0, "cache_write_tokens": 0}


def _response(content: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "r",
        "provider": "scripted",
        "model": "m1",
        "content": content,
        "tool_calls": calls,
        "finish_reason": "tool_calls",
        "usage": USAGE,
        "cost_usd": 0.001,
        "latency_ms": 5,
    }


def _previous_release_records(task_id: int) -> list[StepRecord]:
    write = {"id": "c1", "name": "write_file", "arguments": {"path": "a.txt", "content": "1"}}
    read = {"id": "c2", "name": "read_file", "arguments": {"path": "a.txt"}}
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("start", {"system": "You are a developer.", "task": "Write a.txt.", "role": "qa"}),
        ("request", {"model": "m1", "messages": 2, "estimated_tokens": 10, "tools": []}),
        ("response", _response("Writing.", [write])),
        ("tool_call", {**write, "key": f"task:{task_id}:step:3:write_file"}),
        (
            "tool_result",
            {
                "id": "c1",
                "name": "write_file",
                "ok": True,
                "output": "wrote a.txt",
                "changed_paths": ["a.txt"],
                "finished": False,
                "communicated": False,
                "data": {"bytes": 1},
            },
        ),
        ("request", {"model": "m1", "messages": 4, "estimated_tokens": 20, "tools": []}),
        ("response", _response("Checking.", [read])),
        ("tool_call", {**read, "key": f"task:{task_id}:step:7:read_file"}),
        # An older record, from before results carried `data`.
        (
            "tool_result",
            {
                "id": "c2",
                "name": "read_file",
                "ok": True,
                "output": "1",
                "changed_paths": [],
                "finished": False,
                "communicated": False,
            },
        ),
    ]
    return [StepRecord(task_id, step, kind, p) for step, (kind, p) in enumerate(payloads)]


async def test_a_run_recorded_by_the_previous_release_resumes(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    store = AgentStepStore(database)
    store.append_many(_previous_release_records(task_id))
    (tmp_path / "a.txt").write_text("1")
    model = scripted(["All done."])
    loop = AgentLoop(model=model, tools=ToolSet(workspace_tools(tmp_path)), steps=store)

    result = await loop.run(AgentRun(task_id, role("qa"), "Write a.txt.", "m1"))

    assert result.status == "finished" and result.summary == "All done."
    assert result.changed_paths == ("a.txt",)
    assert result.tool_data == {"write_file": {"bytes": 1}, "read_file": {}}
    assert result.model_calls_made == 1 and result.spend.model_calls == 3
    # The resumed model saw the recorded conversation, the stored tool results included.
    messages = model.requests[0].messages
    assert tuple(m.role for m in messages) == ("system", "user") + ("assistant", "tool") * 2
    assert [m.content for m in messages if m.role == "tool"] == ["wrote a.txt", "1"]
    # New records continue after the stored ones.
    steps = store.steps(task_id)
    assert [s.step for s in steps] == list(range(len(steps)))
    assert steps[-1].kind == "end"
