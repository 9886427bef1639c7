from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import call, reply
from agents.runtime import AgentLoop, AgentRun, BudgetLimits, CallContext, LoopConfig, Snippet
from agents.runtime.toolset import ToolSet
from agents.team.tools import TeamScope, TeamTools
from storage.agent_steps import AgentStepStore
from storage.sql.database import Database
from tests.agents.helpers import make_task, role, scripted, workspace_tools


def _tools(db: Database, root: Path, task_id: int) -> ToolSet:
    team = TeamTools(db, TeamScope(task_id, role()), roles={})
    return ToolSet([*workspace_tools(root), *team.tools()])


def _run(task_id: int, task: str = "Add a farewell function.") -> AgentRun:
    return AgentRun(task_id=task_id, role=role(), task=task, model="m1", group_key="octo/hello#1")


async def test_round_trip_edits_persists_and_finishes(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    model = scripted(
        [
            call("write_file", path="bye.py", content="def bye():\n    return 'bye'\n"),
            call("read_file", path="bye.py"),
            call("finish", summary="Added bye()."),
        ]
    )
    store = AgentStepStore(database)
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=store,
        search=lambda query, limit: [Snippet("app.py", "def greet(): ...")],
    )
    result = await loop.run(_run(task_id))

    assert result.status == "finished"
    assert result.summary == "Added bye()."
    assert result.changed_paths == ("bye.py",)
    assert (tmp_path / "bye.py").read_text() == "def bye():\n    return 'bye'\n"
    assert result.spend.model_calls == 3 and result.spend.tokens == 360
    kinds = [s.kind for s in store.steps(task_id)]
    assert kinds == ["start"] + ["request", "response", "tool_call", "tool_result"] * 3 + ["end"]
    # The model saw the search result and the earlier tool results.
    first_messages, options = model.requests[0].messages, model.requests[0].options
    assert "def greet(): ..." in first_messages[1].content
    assert options.role == "backend_developer" and options.task_id == task_id
    third_messages = model.requests[2].messages
    assert third_messages[-1].tool_call_id == third_messages[-2].tool_calls[0].id
    assert third_messages[-1].content.startswith("1\tdef bye():\n2\t    return 'bye'")
    assert store.task_spend(task_id).model_calls == 3


async def test_plain_text_answer_after_using_tools_ends_the_run(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    (tmp_path / "a.py").write_text("a")
    loop = AgentLoop(
        model=scripted([call("read_file", path="a.py"), "Nothing to change."]),
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
    )
    result = await loop.run(_run(task_id))
    assert (result.status, result.summary, result.changed_paths) == (
        "finished",
        "Nothing to change.",
        (),
    )


async def test_a_model_that_never_calls_a_tool_is_nudged_once_then_stopped(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    model = scripted(["Here is my plan in prose.", "Still prose."])
    loop = AgentLoop(
        model=model, tools=_tools(database, tmp_path, task_id), steps=AgentStepStore(database)
    )
    result = await loop.run(_run(task_id))
    assert result.status == "no_tools" and not result.ok
    assert "did not call any tool" in result.summary and "m1" in result.summary
    assert len(model.requests) == 2
    nudge = model.requests[1].messages[-1]
    assert nudge.role == "user" and "without calling a tool" in nudge.content


async def test_a_nudged_model_that_then_uses_its_tools_carries_on(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    model = scripted(
        ["I would edit x.py.", call("write_file", path="x.py", content="x = 1\n"), "Done."]
    )
    steps = AgentStepStore(database)
    loop = AgentLoop(model=model, tools=_tools(database, tmp_path, task_id), steps=steps)
    result = await loop.run(_run(task_id))
    assert (result.status, result.changed_paths) == ("finished", ("x.py",))
    # The nudge is a recorded step: a resumed run rebuilds the same conversation.
    kinds = [r.kind for r in steps.steps(task_id)]
    assert kinds.count("nudge") == 1
    resumed = await AgentLoop(
        model=scripted([]), tools=_tools(database, tmp_path, task_id), steps=steps
    ).run(_run(task_id))
    assert resumed.status == "finished"


async def test_tool_errors_go_back_to_the_model(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    model = scripted(
        [
            call("read_file", path="../etc/passwd"),
            call("write_file", path="x.py"),
            call("finish", summary="gave up"),
        ]
    )
    tools = _tools(database, tmp_path, task_id)
    loop = AgentLoop(model=model, tools=tools, steps=AgentStepStore(database))
    result = await loop.run(_run(task_id))
    assert result.status == "finished" and result.changed_paths == ()
    second = model.requests[1].messages
    assert second[-1].is_error and "must stay inside the repository" in second[-1].content
    third = model.requests[2].messages
    assert third[-1].is_error and "'content' is a required property" in third[-1].content
    ctx = CallContext(task_id, 1, "backend_developer", "k")
    unknown = tools.call("rm_rf", {}, ctx)
    assert not unknown.ok and "no tool named `rm_rf`" in unknown.output


async def test_step_budget_stops_before_the_model_call(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    (tmp_path / "a.py").write_text("a")
    (tmp_path / "b.py").write_text("b")
    model = scripted([call("read_file", path="a.py"), call("read_file", path="b.py")])
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(limits=BudgetLimits(max_steps=2)),
    )
    result = await loop.run(_run(task_id))
    assert result.status == "budget_exhausted"
    assert "step budget (2 model calls)" in result.summary
    assert "CODEMONKEY_AGENT_MAX_STEPS" in result.summary
    assert len(model.requests) == 2


async def test_issue_dollar_budget_counts_sibling_tasks(database: Database, tmp_path: Path) -> None:
    limits = BudgetLimits(max_issue_usd=0.05)
    first = make_task(database)
    expensive = scripted([reply(calls=[call("finish", summary="done")], cost_usd=0.06)])
    store = AgentStepStore(database)
    config = LoopConfig(limits=limits)
    tools = _tools(database, tmp_path, first)
    done = await AgentLoop(model=expensive, tools=tools, steps=store, config=config).run(
        _run(first)
    )
    assert done.status == "finished"

    second = make_task(database)
    model = scripted([])
    result = await AgentLoop(model=model, tools=tools, steps=store, config=config).run(_run(second))
    assert result.status == "budget_exhausted"
    assert "$0.06" in result.summary and "CODEMONKEY_AGENT_MAX_ISSUE_USD" in result.summary
    assert model.requests == []
    # Another issue is not affected.
    other = make_task(database, group_key="octo/hello#2")
    ok = await AgentLoop(
        model=scripted([call("finish", summary="fine")]), tools=tools, steps=store, config=config
    ).run(AgentRun(other, role(), "t", "m1", group_key="octo/hello#2"))
    assert ok.status == "finished"


async def test_token_budget_per_task(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    (tmp_path / "a.py").write_text("a")
    model = scripted(
        [
            reply(
                calls=[call("write_file", path="a.py", content="1")],
                input_tokens=900,
                output_tokens=20,
            ),
            reply(
                calls=[call("write_file", path="a.py", content="2")],
                input_tokens=900,
                output_tokens=20,
            ),
        ]
    )
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(limits=BudgetLimits(max_task_tokens=1500)),
    )
    result = await loop.run(_run(task_id))
    assert result.status == "budget_exhausted"
    assert "1,840 tokens" in result.summary
    assert result.changed_paths == ("a.py",)


async def test_repeated_identical_call_is_detected(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    (tmp_path / "a.py").write_text("same")
    model = scripted([call("read_file", path="a.py")] * 5)
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(repeat_limit=3),
    )
    result = await loop.run(_run(task_id))
    assert result.status == "no_progress"
    assert "`read_file` with the same arguments and got the same result 3 times" in result.summary
    assert len(model.requests) == 3


async def test_turns_without_progress_are_detected(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    for name in "abcd":
        (tmp_path / f"{name}.py").write_text(name)
    model = scripted([call("read_file", path=f"{n}.py") for n in "abcd"])
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(idle_limit=3),
    )
    result = await loop.run(_run(task_id))
    assert result.status == "no_progress"
    assert "3 steps in a row without changing a file" in result.summary
    assert len(model.requests) == 3


async def test_a_reader_may_read_many_files_without_being_stopped(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    names = [f"m{n}" for n in range(15)]
    for name in names:
        (tmp_path / f"{name}.py").write_text(name)
    reads = [call("read_file", path=f"{n}.py") for n in names]
    model = scripted([*reads, call("finish", summary="Read them all.")])
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(idle_limit=3),
    )
    reviewer = AgentRun(task_id=task_id, role=role("code_reviewer"), task="Review.", model="m1")
    result = await loop.run(reviewer)
    assert result.status == "finished", result.summary
    assert len(model.requests) == 16


async def test_a_reader_rereading_the_same_thing_is_stopped(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    (tmp_path / "a.py").write_text("a")
    (tmp_path / "b.py").write_text("b")
    # Alternating between two reads: nothing new after the first two turns.
    reads = [call("read_file", path=p) for p in ("a.py", "b.py") * 3]
    model = scripted(reads)
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(idle_limit=2, repeat_limit=5),
    )
    planner = AgentRun(task_id=task_id, role=role("project_manager"), task="Plan.", model="m1")
    result = await loop.run(planner)
    assert result.status == "no_progress"
    assert "2 steps in a row without learning anything new" in result.summary
    assert len(model.requests) == 4


async def test_repeated_failures_stop_the_run_with_the_last_error(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    missing = [call("read_file", path=f"missing{n}.py") for n in range(10)]
    model = scripted(missing)
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        config=LoopConfig(failure_limit=4),
    )
    reviewer = AgentRun(task_id=task_id, role=role("code_reviewer"), task="Review.", model="m1")
    result = await loop.run(reviewer)
    assert result.status == "no_progress"
    assert "4 tool calls in a row failed (the last, `read_file`:" in result.summary
    assert "missing3.py" in result.summary
    assert len(model.requests) == 4


async def test_cancelled_task_stops_before_calling_the_model(
    database: Database, tmp_path: Path
) -> None:
    task_id = make_task(database)
    model = scripted([])
    loop = AgentLoop(
        model=model,
        tools=_tools(database, tmp_path, task_id),
        steps=AgentStepStore(database),
        is_cancelled=lambda: True,
    )
    result = await loop.run(_run(task_id))
    assert result.status == "cancelled" and model.requests == []


async def test_finished_run_is_not_run_again(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    store = AgentStepStore(database)
    tools = _tools(database, tmp_path, task_id)
    first = await AgentLoop(
        model=scripted([call("finish", summary="ok")]), tools=tools, steps=store
    ).run(_run(task_id))
    again_model = scripted([])
    again = await AgentLoop(model=again_model, tools=tools, steps=store).run(_run(task_id))
    assert again.summary == first.summary == "ok"
    assert again.model_calls_made == 0 and again_model.requests == []
