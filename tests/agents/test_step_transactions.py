"""A step's records share transactions, and each is committed before what depends on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.providers.scripted import call
from agents.runtime import AgentLoop, AgentRun, CallContext
from agents.runtime.issue_spend import IssueSpend
from agents.runtime.ports import ToolOutcome
from agents.runtime.throttle import ThrottledCheck
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

    def append_many(self, records: list[StepRecord]) -> None:
        super().append_many(records)
        self.transactions.append([r.kind for r in records])


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
    assert store.transactions == [
        ["start"],
        ["request", "response", "tool_call"],
        ["tool_result"],
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
        self._tool = next(t for t in tools if t.spec.name == "write_file")
        self._before = before

    @property
    def spec(self) -> Any:
        return self._tool.spec

    @property
    def replay_safe(self) -> bool:
        return bool(self._tool.replay_safe)

    def run(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome:
        self._before(ctx)
        outcome: ToolOutcome = self._tool.run(ctx, args)
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


def test_throttled_check_asks_at_most_once_per_interval_and_keeps_a_yes() -> None:
    clock = _Clock()
    answers = [False, True, False]
    asked: list[bool] = []

    def check() -> bool:
        asked.append(True)
        return answers[len(asked) - 1]

    throttled = ThrottledCheck(check, 0.5, clock=clock)
    assert throttled() is False
    clock.now += 0.1
    assert throttled() is False and len(asked) == 1
    clock.now += 0.5
    assert throttled() is True and len(asked) == 2
    clock.now += 5
    assert throttled() is True and len(asked) == 2
