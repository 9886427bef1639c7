"""`codemonkey action`: the entry point of the GitHub Action (see action.yml)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from bot.action import (
    ActionEnv,
    ActionError,
    check_model_keys,
    embedded_database,
    no_flow_handler,
    run_action,
)
from bot.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "action", help="handle the current GitHub Actions event (inside a workflow job)"
    )
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        env = ActionEnv.from_environ(os.environ)
        check_model_keys(settings)
        database = embedded_database(settings, os.environ)
    except ActionError as exc:
        print(f"codemonkey action: {exc}", file=sys.stderr)
        return 2
    try:
        return run_action(env, settings, database, handler=no_flow_handler, out=sys.stdout)
    except ActionError as exc:
        print(f"codemonkey action: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
