"""`codemonkey tasks [--issue owner/repo#N | --group KEY]`: an issue's tasks and their spend."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.data_dir import settings_for_cwd
from bot.open_database import open_database
from bot.prices import PRICE_HINT
from bot.settings import Settings
from storage.agent_steps import AgentStepStore
from storage.sql.models import Task
from storage.task_graph import group_tasks


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tasks", help="list an issue's tasks with their state, timing and spend"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--issue", help="owner/repo#N (local runs: local/REPO-DIR#N)")
    which.add_argument("--group", help="a task group key, e.g. owner/repo!pr-7")
    parser.set_defaults(handler=run)


def _latest_group(settings: Settings) -> str | None:
    database = open_database(settings)
    try:
        with database.session() as session:
            return session.scalar(
                select(Task.group_key)
                .where(Task.group_key.is_not(None))
                .order_by(Task.id.desc())
                .limit(1)
            )
    finally:
        database.dispose()


def progress_line(state: str, result: dict[str, Any] | None) -> str | None:
    """A running index task's progress (`bot.indexing` writes it to the result)."""
    progress = (result or {}).get("progress") if state == "running" else None
    if not isinstance(progress, dict):
        return None
    return (
        f"progress: {progress.get('files_done', 0)}/{progress.get('files_total', 0)} files "
        f"({progress.get('files_unchanged', 0)} unchanged), "
        f"{progress.get('chunks_embedded', 0)} chunks embedded, {progress.get('seconds', 0)} s"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings_for_cwd(settings, Path.cwd(), os.environ)
    group: str | None = args.issue or args.group or _latest_group(settings)
    if group is None:
        print("codemonkey tasks: no tasks yet; start some with `codemonkey run`", file=sys.stderr)
        return 1
    database = open_database(settings)
    try:
        with database.session() as session:
            tasks = group_tasks(session, group)
        if not tasks:
            print(
                f"codemonkey tasks: no tasks in {group}; "
                "pass --issue owner/repo#N or --group KEY as `codemonkey tasks` lists them",
                file=sys.stderr,
            )
            return 1
        steps = AgentStepStore(database)
        print(f"Tasks of {group}:")
        unpriced = 0
        for task in tasks:
            spend = steps.task_spend(task.id)
            unpriced += spend.unpriced_calls
            took = (
                f"{(task.finished_at - task.started_at).total_seconds():.1f}s"
                if task.started_at and task.finished_at
                else "-"
            )
            print(
                f"  #{task.id:<4} {task.kind:<10} {task.role or '-':<18} {task.state:<10} "
                f"{took:>7}  {spend.model_calls} model calls, {spend.tokens:,} tokens, "
                f"{spend.cost_text()}  {task.title}"
            )
            if task.error:
                print(f"        error: {task.error.strip().splitlines()[-1][:160]}")
            progress = progress_line(task.state, task.result)
            if progress:
                print(f"        {progress}")
        if unpriced:
            print(PRICE_HINT)
        print("Steps of a task: codemonkey trace TASK_ID")
        return 0
    finally:
        database.dispose()
