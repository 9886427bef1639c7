"""Finding 7: a task that keeps calling slow tools stops at its wall-clock limit, cleanly."""

from __future__ import annotations

import time
from pathlib import Path

from agents.providers.scripted import call
from agents.runtime import AgentLoop, AgentRun, BudgetLimits, LoopConfig
from agents.runtime.toolset import ToolSet
from storage.agent_steps import AgentStepStore
from storage.sql.database import Database
from tests.agents.helpers import make_task, role, scripted, workspace_tools


async def test_a_task_stops_at_its_time_limit(sqlite_database: Database, tmp_path: Path) -> None:
    task_id = make_task(sqlite_database)
    slow = [call("run_command", command=f"sleep 0.5; echo step {n}") for n in range(30)]
    loop = AgentLoop(
        model=scripted(slow),
        tools=ToolSet(workspace_tools(tmp_path)),
        steps=AgentStepStore(sqlite_database),
        config=LoopConfig(limits=BudgetLimits(max_task_seconds=2.0)),
    )
    started = time.monotonic()
    result = await loop.run(
        AgentRun(task_id=task_id, role=role(), task="Loop forever.", model="m1", group_key=None)
    )
    assert result.status == "budget_exhausted"
    assert "time limit is 2s" in result.summary
    assert result.spend.model_calls < 30
    assert time.monotonic() - started < 10
