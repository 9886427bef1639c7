"""`codemonkey deliveries`: recent webhook deliveries and what became of them, like the
"Recent Deliveries" tab of a GitHub App."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.settings import Settings, redact_url
from storage.sql.database import Database
from storage.sql.models import WebhookDelivery


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "deliveries", help="list recent webhook deliveries and their outcome"
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    parser.set_defaults(handler=run)


def recent(database: Database, limit: int) -> list[dict[str, Any]]:
    with database.session() as session:
        rows = session.scalars(
            select(WebhookDelivery)
            .order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        ).all()
        return [
            {
                "received_at": row.received_at.isoformat(timespec="seconds"),
                "delivery_id": row.delivery_id,
                "event": f"{row.event}.{row.action}" if row.action else row.event,
                "repository": row.repository or "",
                "sender": row.sender or "",
                "installation_id": row.installation_id,
                "outcome": row.outcome,
                "reason": row.reason,
                "task_ids": list(row.task_ids),
            }
            for row in rows
        ]


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.limit < 1:
        print("codemonkey deliveries: --limit must be at least 1", file=sys.stderr)
        return 2
    database = Database(settings.effective_database_url)
    try:
        rows = recent(database, args.limit)
    except (OperationalError, ProgrammingError) as exc:
        print(
            f"codemonkey deliveries: cannot read webhook_deliveries from "
            f"{redact_url(settings.effective_database_url)} ({exc.orig}); check "
            "CODEMONKEY_DATABASE_URL and that the schema has been migrated",
            file=sys.stderr,
        )
        return 1
    finally:
        database.dispose()
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    if not rows:
        print("no deliveries recorded yet")
        return 0
    print(f"{'time':<25} {'delivery':<38} {'event':<34} {'repository':<28} {'outcome':<10} reason")
    for row in rows:
        print(
            f"{row['received_at']:<25} {row['delivery_id']:<38} {row['event']:<34} "
            f"{row['repository']:<28} {row['outcome']:<10} {row['reason']}"
        )
    return 0
