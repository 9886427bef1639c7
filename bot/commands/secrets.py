"""`codemonkey secrets`: provider keys stored in the database, encrypted at rest.

Keys set in the environment win; stored keys fill the gaps (see `bot/llm_config.py`). The
value is read from standard input so it never appears in the shell history or `ps`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli_audit import audit
from bot.github.app_manifest import forget_app
from bot.llm_config import STORED_KEY_NAMES
from bot.open_database import open_database
from bot.settings import Settings
from storage.secrets import SecretStore
from storage.sql.database import Database

# `secrets delete github-app`: the App created from the manifest (`/github/app-manifest`).
GITHUB_APP = "github-app"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "secrets", help="store provider API keys in the database, encrypted"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    names = sorted(STORED_KEY_NAMES)
    put = actions.add_parser("set", help="store a provider's key, read from standard input")
    put.add_argument("provider", choices=names)
    put.set_defaults(handler=run_set)
    listing = actions.add_parser("list", help="which providers have a stored key")
    listing.set_defaults(handler=run_list)
    delete = actions.add_parser(
        "delete", help="remove a provider's stored key, or the stored GitHub App (github-app)"
    )
    delete.add_argument("provider", choices=[*names, GITHUB_APP])
    delete.set_defaults(handler=run_delete)


def _audited(database: Database, action: str, provider: str) -> None:
    """Record who changed which stored secret; never its value."""
    with database.session() as session:
        audit(session, action, f"secret:{provider}", {"provider": provider})


def _store(settings: Settings) -> SecretStore | None:
    if settings.secret_key is None:
        print(
            "codemonkey secrets: CODEMONKEY_SECRET_KEY is not set; set it to a long random "
            "value (keep it safe: stored secrets cannot be read without it)",
            file=sys.stderr,
        )
        return None
    return SecretStore(open_database(settings), settings.secret_key.get_secret_value())


def run_set(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    if store is None:
        return 2
    value = sys.stdin.readline().strip()
    if not value:
        print("codemonkey secrets: no key on standard input; pipe it in", file=sys.stderr)
        return 2
    store.put(STORED_KEY_NAMES[args.provider], value)
    _audited(store.database, "secrets.set", args.provider)
    print(f"stored the {args.provider} key (encrypted)")
    return 0


def run_list(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    if store is None:
        return 2
    stored = set(store.names())
    for provider, name in sorted(STORED_KEY_NAMES.items()):
        print(f"{provider:<11} {'stored' if name in stored else '-'}")
    return 0


def run_delete(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    if store is None:
        return 2
    if args.provider == GITHUB_APP:
        removed = forget_app(store)
    else:
        removed = store.delete(STORED_KEY_NAMES[args.provider])
    if removed:
        _audited(store.database, "secrets.delete", args.provider)
    print(f"{args.provider}: {'removed' if removed else 'nothing stored'}")
    return 0
