from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import call
from agents.providers.types import ChatMessage, ToolCall
from agents.runtime import AgentLoop, AgentRun, LoopConfig
from agents.runtime.context_window import fit_window, total_tokens
from agents.runtime.toolset import ToolSet
from agents.team.tools import TeamScope, TeamTools
from storage.agent_steps import AgentStepStore
from storage.sql.database import Database
from tests.agents.helpers import make_task, role, scripted, workspace_tools


def _turn(index: int, size: int) -> list[ChatMessage]:
    call_ = ToolCall(f"c{index}", "read_file", {"path": f"f{index}.py"})
    return [ChatMessage.assistant("", (call_,)), ChatMessage.tool(f"c{index}", "x" * size)]


def test_history_within_the_window_is_untouched() -> None:
    pinned = [ChatMessage.system("be brief"), ChatMessage.user("task")]
    history = _turn(1, 100) + _turn(2, 100)
    fitted = fit_window(pinned, history, max_tokens=10_000)
    assert fitted.messages == pinned + history
    assert (fitted.dropped_messages, fitted.cut_messages) == (0, 0)


def test_oldest_turns_are_dropped_whole_and_summarised() -> None:
    pinned = [ChatMessage.system("be brief"), ChatMessage.user("task")]
    history = [m for i in range(10) for m in _turn(i, 400)]
    fitted = fit_window(pinned, history, max_tokens=800)
    assert fitted.tokens <= 800
    assert fitted.messages[:2] == pinned
    note = fitted.messages[2]
    assert note.role == "user" and "dropped to fit the context window" in note.content
    assert "read_file(f0.py)" in note.content
    # What is kept is the newest turns, each with its tool results.
    kept = fitted.messages[3:]
    assert kept == history[-len(kept) :]
    assert kept[0].role == "assistant" and fitted.dropped_messages == 20 - len(kept)


def test_a_single_huge_message_is_cut_not_fatal() -> None:
    pinned = [ChatMessage.system("s"), ChatMessage.user("t" * 40_000)]
    history = _turn(1, 80_000)
    fitted = fit_window(pinned, history, max_tokens=2_000)
    assert fitted.tokens <= 2_000
    assert fitted.cut_messages >= 1
    assert "characters cut to fit the context window" in fitted.messages[-1].content
    assert [m.role for m in fitted.messages] == ["system", "user", "assistant", "tool"]


async def test_long_run_stays_inside_the_window(database: Database, tmp_path: Path) -> None:
    task_id = make_task(database)
    for i in range(12):
        (tmp_path / f"f{i}.py").write_text(f"# file {i}\n" + "y = 1\n" * 300)
    script = [call("read_file", path=f"f{i}.py") for i in range(12)]
    script.append(call("finish", summary="read them all"))
    model = scripted(script)
    tools = ToolSet(
        [
            *workspace_tools(tmp_path),
            *TeamTools(database, TeamScope(task_id, role()), roles={}).tools(),
        ]
    )
    limit = 1_500
    loop = AgentLoop(
        model=model,
        tools=tools,
        steps=AgentStepStore(database),
        config=LoopConfig(context_tokens=limit, idle_limit=20),
    )
    result = await loop.run(AgentRun(task_id, role(), "Read every file.", "m1"))
    assert result.status == "finished"
    for messages in (list(r.messages) for r in model.requests):
        assert total_tokens(messages) <= limit
        assert messages[0].role == "system" and messages[1].content.startswith("Read every file.")
    last = model.requests[-1].messages
    assert "dropped to fit the context window" in last[2].content
    assert "# file 11" in last[-1].content
    requests = [s for s in AgentStepStore(database).steps(task_id) if s.kind == "request"]
    assert requests[-1].payload["dropped_messages"] > 0
