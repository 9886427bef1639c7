"""A step's records share transactions, and each is committed before what depends on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from agents.providers.scripted import call
from agents.runtime import AgentLoop, AgentRun, CallContext
from agents.runtime.issue_spend import IssueSpend
from agents.runtime.ports import ToolResult
from agents.runtime.toolset import ToolSet
from agents.team.tools import TeamScope, TeamTools
from storage.agent_steps import AgentStepStore, StepRecord
from storage.sql.database import Database
from tests.agents.helpers import make_task, role, scripted, workspace_tools


class CountingStore(AgentStepStore):
    """The real store, remembering the kinds written by each transaction."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.transactions: list[list[str]] = []

    def append_many(self, records: list[StepRecord], *, flush_to_disk: bool = True) -> None:
        super().append_many(records, flush_to_disk=flush_to_disk)
        label = "" if flush_to_disk else " (no disk wait)"
        self.transactions.append([r.kind + label for r in records])


async def test_a_step_is_one_write_before_the_tool_and_one_after(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    store = CountingStore(database)
    seen: list[list[str]] = []

    def before_write(ctx: CallContext) -> None:
        # Inside the tool: the response and this tool call must already be committed.
        seen.append([s.kind for s in AgentStepStore(database).steps(ctx.task_id)])

    team = TeamTools(database, TeamScope(task_id, role()), roles={})
    tools = ToolSet([_Spy(workspace_tools(tmp_path), before_write), *team.tools()])
    model = scripted(
        [call("write_file", path="a.txt", content="a"), call("finish", summary="Wrote a.")]
    )
    run = AgentRun(task_id=task_id, role=role(), task="Write a.", model="m1", group_key="g#1")
    result = await AgentLoop(model=model, tools=tools, steps=store).run(run)

    assert result.status == "finished"
    assert seen[0] == ["start", "request", "response", "tool_call"]
    # Only tool results may skip the disk wait: a tool call is on disk before its tool runs.
    assert store.transactions == [
        ["start"],
        ["request", "response", "tool_call"],
        ["tool_result (no disk wait)"],
        ["request", "response", "tool_call"],
        ["tool_result", "end"],
    ]


async def test_a_failed_model_call_still_records_its_request(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)

    class Broken:
        async def chat(self, messages: Any, options: Any) -> Any:
            raise RuntimeError("provider down")

    run = AgentRun(task_id=task_id, role=role(), task="Write a.", model="m1")
    tools = ToolSet(workspace_tools(tmp_path))
    loop = AgentLoop(model=Broken(), tools=tools, steps=AgentStepStore(database))
    with pytest.raises(RuntimeError, match="provider down"):
        await loop.run(run)
    kinds = [s.kind for s in AgentStepStore(database).steps(task_id)]
    assert kinds == ["start", "request"]


class _Spy:
    """Wraps the `write_file` tool to look at the store before it runs."""

    def __init__(self, tools: list[Any], before: Any) -> None:
        self._tool = next(t for t in tools if t.name == "write_file")
        self._before = before

    @property
    def name(self) -> str:
        return str(self._tool.name)

    @property
    def description(self) -> str:
        return str(self._tool.description)

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._tool.parameters)

    @property
    def replay_safe(self) -> bool:
        return bool(self._tool.replay_safe)

    def run(self, ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        self._before(ctx)
        outcome: ToolResult = self._tool.run(ctx, args)
        return outcome


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_issue_spend_is_read_again_only_after_the_refresh_interval(database: Database) -> None:
    clock = _Clock()
    reads: list[str] = []

    class Store(AgentStepStore):
        def group_spend(self, group_key: str, *, exclude_task_id: int | None = None) -> Any:
            reads.append(group_key)
            return super().group_spend(group_key, exclude_task_id=exclude_task_id)

    spend = IssueSpend(Store(database), "g#1", 1, refresh_seconds=1.0, clock=clock)
    spend.others()
    clock.now += 0.5
    spend.others()
    assert reads == ["g#1"]
    clock.now += 0.6
    spend.others()
    assert reads == ["g#1", "g#1"]


def test_records_that_need_not_wait_for_the_disk_skip_it_on_postgres(database: Database) -> None:
    task_id = make_task(database)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        store = AgentStepStore(database)
        store.append_many([StepRecord(task_id, 0, "start", {})])
        waited = len(statements)
        store.append_many([StepRecord(task_id, 1, "tool_result", {})], flush_to_disk=False)
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)

    skipped = [s for s in statements if "synchronous_commit" in s]
    assert not [s for s in statements[:waited] if "synchronous_commit" in s]
    assert len(skipped) == (0 if database.is_sqlite else 1)
    assert [s.kind for s in store.steps(task_id)] == ["start", "tool_result"]
