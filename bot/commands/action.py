"""`codemonkey action`: the entry point of the GitHub Action (see action.yml)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from bot.action import ActionEnv, ActionError, action_settings, check_model_keys, run_action
from bot.flows.flow_table import register_flows
from bot.github.host import GitHubHost
from bot.queue.builtin_handlers import register_builtin
from bot.queue.handlers import HandlerRegistry
from bot.services import Services, build_services
from bot.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "action", help="handle the current GitHub Actions event (inside a workflow job)"
    )
    parser.set_defaults(handler=run)


def action_handlers(environ: Mapping[str, str]) -> Any:
    """The App's flows, acting on GitHub with the workflow's GITHUB_TOKEN."""

    def register_handlers(services: Services, registry: HandlerRegistry) -> None:
        register_builtin(registry, services.settings.data_dir)
        register_flows(
            services,
            registry,
            hosts=lambda _installation: action_host(environ),
            job_environ=environ,
        )

    return register_handlers


def action_host(environ: Mapping[str, str]) -> GitHubHost:
    return GitHubHost.for_action(environ)


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        env = ActionEnv.from_environ(os.environ)
    except ActionError as exc:
        print(f"codemonkey action: {exc}", file=sys.stderr)
        return 2
    services = build_services(action_settings(settings, os.environ), action_handlers(os.environ))
    try:
        check_model_keys(services.settings, services.llm.config)
        return run_action(env, services, out=sys.stdout)
    except ActionError as exc:
        print(f"codemonkey action: {exc}", file=sys.stderr)
        return 2
    finally:
        services.close()
