"""Agent runtime figures: orchestration overhead per step, and DAG parallelism.

Run: python -m tests.bench.bench_agents [--steps N] [--postgres URL]

1. Overhead per agent step: a scripted model with no latency and a trivial tool, so the
   time measured is the loop itself (context fitting, budget checks, four persisted rows
   per step in two transactions: request, response and tool call before the tool runs,
   the tool result before the next model call) plus the real `write_file` tool
   (schema validation, path confinement, protected paths, the write). Measured twice in
   the same run: the in-process scripted model, and each real provider class over HTTP
   to its strict fake answering at once (the whole model path: the `LLM` facade on its
   own event loop, the SDK, loopback HTTP, the fake's validation).
2. Wall time of 8 independent tasks whose scripted model answers after 200 ms (two model
   calls per task), run by the DAG scheduler at parallelism 1, 2 and 4.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from agents.providers.llm import LLM
from agents.providers.scripted import ScriptedModel, ScriptedReply, call
from agents.roles import load_roles
from agents.runtime import AgentLoop, AgentRun, LoopConfig
from agents.runtime.budget import BudgetLimits
from agents.runtime.ports import ModelClient
from agents.runtime.toolset import ToolSet
from agents.team.scheduler import DagScheduler
from agents.team.toolbox import workspace_toolbox
from agents.team.tools import TeamScope, TeamTools
from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry
from storage.agent_steps import AgentStepStore
from storage.sql import migrate
from storage.sql.database import Database
from storage.task_graph import TaskSnapshot
from storage.tasks import NewTask, create_task
from tests.fakes.llm.fixtures import _PATHS, MODELS, PROVIDERS, Fake, _app
from tests.fakes.llm.script import Call, Script, Text, Tools
from tests.fakes.llm.server import serve
from tests.fakes.llm.wire_team import READERS

ROLE = load_roles()["backend_developer"]
REGISTRY = workspace_registry()


def _task(db: Database, group: str, title: str) -> int:
    with db.session() as session:
        task, _ = create_task(
            session, NewTask(kind="work", role=ROLE.name, title=title, group_key=group)
        )
        return task.id


def _tools(db: Database, root: Path, task_id: int) -> ToolSet:
    """The real workspace tools (through the team's adapter) and the team tools."""
    root.mkdir(parents=True, exist_ok=True)
    team = TeamTools(db, TeamScope(task_id, ROLE), roles={})
    files = workspace_toolbox(REGISTRY, ToolContext(workspace=root, task_id=task_id))
    return ToolSet([*files, *team.tools()])


class _LLMClient:
    """The `LLM` facade as the loop's model, as the service wires it."""

    def __init__(self, llm: LLM, ref: str) -> None:
        self._llm, self._ref = llm, ref

    async def chat(self, messages: Any, options: Any) -> Any:
        return await self._llm.chat(self._ref, messages, options)


def _writer(name: str, prefix: str, steps: int) -> Any:
    """The fake's answer to each request: write the next file, then finish."""

    def respond(body: Any) -> Text | Tools:
        messages, _ = READERS[name](body)
        done = sum(1 for m in messages if m.role == "assistant")
        if done < steps:
            return Tools((Call("write_file", {"path": f"{prefix}/f{done}.txt", "content": "x"}),))
        return Tools((Call("finish", {"summary": "done"}),))

    return respond


def overhead_per_step(
    db: Database, root: Path, steps: int, fake: Fake | None = None
) -> tuple[float, float]:
    """(mean ms per step, median ms per step over 5 runs); over HTTP when `fake` is given."""
    per_run = []
    for run_no in range(5):
        tag = f"{fake.name if fake else 'scripted'}-{run_no}-{uuid.uuid4().hex[:6]}"
        task_id = _task(db, f"bench#{tag}", "overhead")
        script: list[ScriptedReply] = [
            call("write_file", path=f"{tag}/f{i}.txt", content=str(i)) for i in range(steps)
        ]
        script.append(call("finish", summary="done"))
        model: ModelClient = ScriptedModel(script)
        llm = None
        if fake is not None:
            fake.script.reset()
            fake.script.responder = _writer(fake.name, tag, steps)
            llm = fake.llm()
            model = _LLMClient(llm, fake.model_id)
        config = LoopConfig(limits=BudgetLimits(max_steps=steps + 5), idle_limit=steps + 5)
        loop = AgentLoop(
            model=model,
            tools=_tools(db, root, task_id),
            steps=AgentStepStore(db),
            config=config,
        )
        model_name = fake.model if fake else "scripted"
        run = AgentRun(task_id, ROLE, "Write the files.", model_name, group_key=f"bench#{tag}")
        started = time.perf_counter()
        result = asyncio.run(loop.run(run))
        elapsed = time.perf_counter() - started
        if llm is not None:
            llm.close()
        assert result.status == "finished", result.summary
        per_run.append(elapsed * 1000 / (steps + 1))
    return statistics.mean(per_run), statistics.median(per_run)


def over_http(db: Database, label: str, root: Path, steps: int) -> None:
    """Each provider class over HTTP beside the in-process scripted model, same run."""
    mean, median = overhead_per_step(db, root, steps)
    print(
        f"[{label}] per step, in-process scripted model: mean {mean:.2f} ms, median {median:.2f} ms"
    )
    for name in PROVIDERS:
        script = Script()
        with serve(_app(name, script)) as url:  # type: ignore[arg-type]
            fake = Fake(name, script, url + _PATHS[name])
            http_mean, http_median = overhead_per_step(db, root, steps, fake)
        print(
            f"[{label}] per step, {name} over HTTP ({MODELS[name]}, fake answers at once): "
            f"mean {http_mean:.2f} ms, median {http_median:.2f} ms "
            f"({http_median / median:.1f}x the in-process step)"
        )


def parallel_wall_time(db: Database, root: Path, parallelism: int) -> float:
    group = f"parallel-{parallelism}"
    for i in range(8):
        _task(db, group, f"t{i}")

    def handler(task: TaskSnapshot) -> dict[str, Any]:
        model = ScriptedModel(
            [
                call("write_file", path=f"{group}/t{task.id}.txt", content="x"),
                call("finish", summary="ok"),
            ],
            latency_seconds=0.2,
        )
        loop = AgentLoop(model=model, tools=_tools(db, root, task.id), steps=AgentStepStore(db))
        result = asyncio.run(loop.run(AgentRun(task.id, ROLE, task.title, "scripted", group)))
        return {"summary": result.summary}

    started = time.perf_counter()
    tasks = DagScheduler(db, {"work": handler}, parallelism=parallelism).run_group(group)
    elapsed = time.perf_counter() - started
    assert all(t.state == "succeeded" for t in tasks)
    return elapsed


def bench(db: Database, label: str, root: Path, steps: int) -> None:
    migrate.upgrade(db)
    print(f"[{label}] orchestration overhead per agent step ({steps} steps x 5 runs):")
    over_http(db, label, root, steps)
    for parallelism in (1, 2, 4):
        wall = parallel_wall_time(db, root, parallelism)
        print(
            f"[{label}] 8 tasks x 2 model calls at 200 ms, parallelism {parallelism}: "
            f"{wall:.2f} s (ideal {8 * 0.4 / parallelism:.2f} s)"
        )


def _bench_postgres(url: str, root: Path, steps: int) -> None:
    """Run in a scratch schema of its own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    pg = Database(f"{url}{separator}options=-csearch_path%3D{schema}")
    try:
        bench(pg, "postgresql", root, steps)
    finally:
        pg.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--postgres",
        help="also run on this PostgreSQL URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = Database(f"sqlite:///{root / 'bench.db'}")
        bench(db, "sqlite", root / "ws", args.steps)
        db.dispose()
        if args.postgres:
            _bench_postgres(args.postgres, root / "ws-pg", args.steps)


if __name__ == "__main__":
    main()
