"""Running one role's agent for a task, and answering another agent's question."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agents.providers.types import ChatMessage, ChatOptions
from agents.roles.types import Role
from agents.runtime.loop import AgentLoop, AgentRun, LoopConfig, RunResult
from agents.runtime.ports import CallContext, EventSink, SearchFn, Tool
from agents.runtime.toolset import ToolSet
from agents.team.ports import ModelResolver
from storage.agent_steps import AgentStepStore
from storage.sql.database import Database
from storage.tasks import TaskStore


@dataclass(frozen=True)
class AgentDeps:
    db: Database
    models: ModelResolver
    config: LoopConfig = field(default_factory=LoopConfig)
    search: SearchFn | None = None
    on_event: EventSink | None = None


def run_role(
    deps: AgentDeps,
    *,
    task_id: int,
    role: Role,
    task: str,
    tools: Iterable[Tool[CallContext]],
    group_key: str | None,
    project_id: int | None,
    context: tuple[str, ...] = (),
) -> RunResult:
    """Run (or resume) the role's agent on a task, with only the tools the role may use."""
    model, model_name = deps.models(role)
    allowed = set(role.tools) | set(role.github_actions)
    loop = AgentLoop(
        model=model,
        tools=ToolSet(tools, allowed=allowed),
        steps=AgentStepStore(deps.db),
        config=deps.config,
        search=deps.search,
        is_cancelled=lambda: _cancelled(deps.db, task_id),
        on_event=deps.on_event,
    )
    run = AgentRun(
        task_id=task_id,
        role=role,
        task=task,
        model=model_name,
        group_key=group_key,
        project_id=project_id,
        context=context,
    )
    return _run_sync(loop.run(run))


def _cancelled(db: Database, task_id: int) -> bool:
    return TaskStore(db).is_cancel_requested(task_id)


def _run_sync(coroutine: Coroutine[Any, Any, RunResult]) -> RunResult:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from inside an event loop (an async worker): use a private loop in a thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class ModelAnswerer:
    """Answers `ask` with one model call as the asked role (no tools)."""

    def __init__(self, models: ModelResolver) -> None:
        self._models = models

    def __call__(self, role: Role, question: str, task_id: int) -> str:
        model, name = self._models(role)
        messages = [ChatMessage.system(role.system_prompt), ChatMessage.user(question)]
        # Billed to the asking task in `usage` (not counted in the loop's step budget).
        options = ChatOptions(model=name, max_tokens=1024, role=role.name, task_id=task_id)
        # Tools run inside the asking agent's event loop; answer on a separate loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            response = pool.submit(asyncio.run, model.chat(messages, options)).result()
        return response.content.strip() or "(no answer)"
