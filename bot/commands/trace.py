"""`codemonkey trace TASK`: what the agent did on a task, one line per step."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from agents.runtime.trace import task_trace
from bot.data_dir import settings_for_cwd
from bot.open_database import open_database
from bot.prices import PRICE_HINT
from bot.settings import Settings
from storage.agent_steps import cost_text
from storage.sql.models import Task


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "trace", help="show a task's steps: model calls, tool calls and results, timing"
    )
    parser.add_argument("task", type=int, help="the task id (see `codemonkey tasks`)")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings_for_cwd(settings, Path.cwd(), os.environ)
    database = open_database(settings)
    try:
        with database.session() as session:
            task = session.get(Task, args.task)
            if task is None:
                print(
                    f"codemonkey trace: no task {args.task}; `codemonkey tasks` lists them",
                    file=sys.stderr,
                )
                return 1
            print(f"Task #{task.id} {task.title} ({task.role or task.kind}): {task.state}")
            steps = task_trace(session, task)
        if not steps:
            print("  no agent steps (this task runs no agent, or has not started)")
        tokens, cost, calls, unpriced = 0, 0.0, 0, 0
        for step in steps:
            spend = ""
            if step.tokens is not None:
                tokens += step.tokens
                calls += 1
                unpriced += not step.cost_known
                cost += step.cost_usd or 0.0
                price = f"${step.cost_usd:.4f}" if step.cost_known else "cost unknown"
                spend = f"  [{step.tokens:,} tokens, {price}]"
            print(f"  {step.step:>3} +{step.seconds:5.1f}s  {step.text}{spend}")
        print(f"Total: {tokens:,} tokens, {cost_text(cost, unpriced, calls)}")
        if unpriced:
            print(PRICE_HINT)
        return 0
    finally:
        database.dispose()
