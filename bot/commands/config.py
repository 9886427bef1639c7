"""`codemonkey config`: print the effective settings with secrets redacted."""

from __future__ import annotations

import argparse
import json
from typing import Any

from agents.providers.redact import redact_urls
from bot.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "config", help="show the effective settings (secrets redacted)"
    )
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    shown = json.dumps(settings.redacted(), indent=2, sort_keys=True, default=str)
    # Settings that are not URLs themselves may still quote one (e.g. a gateway model list).
    print(redact_urls(shown))
    return 0
