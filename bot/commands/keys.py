"""`codemonkey keys`: create, list and revoke API keys from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select

from bot.api.keys import create_key, list_keys, revoke_key
from bot.api.types import Role
from bot.cli_audit import audit
from bot.open_database import open_database
from bot.settings import Settings
from storage.sql.database import Database
from storage.sql.models import Project


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("keys", help="manage API keys")
    actions = parser.add_subparsers(dest="keys_action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a key; its secret is printed once, last")
    create.add_argument("--name", required=True, help="who or what the key is for")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--project", help="owner/repo; omit for a global key")
    create.set_defaults(handler=run_create)

    listing = actions.add_parser("list", help="list keys (secrets are never shown)")
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int, help="the key id shown by `codemonkey keys list`")
    revoke.set_defaults(handler=run_revoke)


def _open(settings: Settings) -> Database:
    return open_database(settings)


def run_create(settings: Settings, args: argparse.Namespace) -> int:
    database = _open(settings)
    try:
        with database.session() as session:
            project_id = None
            if args.project:
                project_id = session.scalar(select(Project.id).where(Project.name == args.project))
                if project_id is None:
                    print(
                        f"codemonkey: no project named {args.project!r}; register it first "
                        f"(`codemonkey projects add {args.project}`) or check the spelling",
                        file=sys.stderr,
                    )
                    return 1
            new = create_key(session, name=args.name, role=Role(args.role), project_id=project_id)
            key_id = new.record.id
            details = {"name": args.name, "role": args.role, "project_id": project_id}
            audit(session, "keys.create", f"api_key:{key_id}", details)
        scope = f"project {args.project}" if args.project else "all projects (global)"
        print(f"created key {key_id} {args.name!r}: role {args.role} on {scope}")
        print("store it now; it cannot be shown again:")
        print(new.secret)
        return 0
    finally:
        database.dispose()


def run_list(settings: Settings, args: argparse.Namespace) -> int:
    database = _open(settings)
    try:
        with database.session() as session:
            names = {row.id: row.name for row in session.execute(select(Project.id, Project.name))}
            keys = list_keys(session)
        print(f"{'ID':>5}  {'NAME':<24} {'PREFIX':<12} {'ROLE':<7} {'PROJECT':<28} STATUS")
        for key in keys:
            project = names.get(key.project_id, "-") if key.project_id is not None else "(global)"
            status = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            print(
                f"{key.id:>5}  {key.name:<24} {key.prefix:<12} {key.role:<7} {project:<28} {status}"
            )
        return 0
    finally:
        database.dispose()


def run_revoke(settings: Settings, args: argparse.Namespace) -> int:
    database = _open(settings)
    try:
        with database.session() as session:
            record = revoke_key(session, args.id)
            name = record.name if record else None
            if record is not None:
                audit(session, "keys.revoke", f"api_key:{record.id}", {"name": record.name})
        if name is None:
            print(
                f"codemonkey: no API key with id {args.id}; see `codemonkey keys list`",
                file=sys.stderr,
            )
            return 1
        print(f"revoked key {args.id} {name!r}")
        return 0
    finally:
        database.dispose()
