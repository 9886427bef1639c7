"""The `codemonkey` command line. Each subcommand lives in `bot/commands/<name>.py`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings

# Modules under bot.commands; each exposes `register(subparsers)` which adds its parser and
# sets `handler(settings, args) -> int` as the parser's default.
COMMAND_MODULES = (
    "serve",
    "config",
    "migrate",
    "keys",
    "deliveries",
    "action",
    "chat",
    "doctor",
    "secrets",
    "worker",
    "run",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codemonkey", description="A git-native AI software team for your repositories."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"bot.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"codemonkey: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        result: int = args.handler(settings, args)
    except SettingsError as exc:
        print(f"codemonkey {args.command}: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
