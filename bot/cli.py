"""The `codemonkey` command line. Each subcommand lives in `bot/commands/<name>.py`.

Only the command being run is imported: `--help`, `--version` and light commands such as
`config` must not pay for the provider SDKs, Chroma or the web app that others need.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings

# Modules under bot.commands, with the one-line summary `codemonkey --help` shows. Each module
# exposes `register(subparsers)`, which adds its parser (with the same summary) and sets
# `handler(settings, args) -> int` as the parser's default.
COMMANDS = {
    "serve": "run the webhook receiver and the HTTP APIs",
    "config": "show the effective settings (secrets redacted)",
    "migrate": "apply database migrations (SQLite or PostgreSQL)",
    "keys": "manage API keys",
    "projects": "register a repository as a project, list the projects",
    "deliveries": "list recent webhook deliveries and their outcome",
    "action": "handle the current GitHub Actions event (inside a workflow job)",
    "chat": "send one message to a model and print its answer",
    "doctor": (
        "check the database, Redis, Chroma, embeddings, the command sandbox and model providers"
    ),
    "secrets": "store provider API keys in the database, encrypted",
    "worker": "run queued tasks from Redis (start as many as you like)",
    "run": "run the team on a local git repository; the result is a branch",
    "tasks": "list an issue's tasks with their state, timing and spend",
    "trace": "show a task's steps: model calls, tool calls and results, timing",
}


def _version() -> str:
    # Imported here: importlib.metadata scans site-packages, which only --version needs.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("codemonkey")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"


def _is_extra(error: BaseException) -> bool:
    from storage.extras import MissingExtraError

    return isinstance(error, MissingExtraError)


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser of `command` (importing its module); the others as summaries only."""
    parser = argparse.ArgumentParser(
        prog="codemonkey", description="A git-native AI software team for your repositories."
    )
    parser.add_argument("--version", action="version", version=f"codemonkey {_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if name == command:
            import_module(f"bot.commands.{name}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _chosen_command(arguments)
    try:
        parser = build_parser(command)
    except ModuleNotFoundError as error:
        # A command whose module needs an optional package the install lacks (`serve`
        # without the `server` extra): say which extra, unless --debug asks for the trace.
        from storage.extras import missing_extra_message

        message = missing_extra_message(error, "this command")
        if message is None or "--debug" in arguments:
            raise
        print(f"codemonkey {command}: {message}", file=sys.stderr)
        return 2
    args = parser.parse_args(arguments)
    settings: Settings | None = None
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        result: int = args.handler(settings, args)
        return result
    except KeyboardInterrupt:
        print(f"codemonkey {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        # Imported here: the translator loads the database and queue drivers.
        from bot.cli_errors import explain

        message = explain(error, settings)
        if message is None or args.debug:
            raise
        print(f"codemonkey {args.command}: {message}", file=sys.stderr)
        # A setup problem (settings, a missing extra) is told apart from a failed command.
        return 2 if isinstance(error, SettingsError | ImportError) or _is_extra(error) else 1


if __name__ == "__main__":
    sys.exit(main())
