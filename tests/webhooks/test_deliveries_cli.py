"""`codemonkey deliveries` through the real CLI against both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from storage.sql.database import Database
from tests.webhooks.support import example, ingest_config
from webhooks.ingest import Delivery, ingest_delivery

ROOT = Path(__file__).resolve().parents[2]


def cli(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "CODEMONKEY_DATABASE_URL": url,
        "CODEMONKEY_LOG_FORMAT": "text",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "deliveries", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_lists_recent_deliveries(database: Database, tmp_path: Path) -> None:
    comment: dict[str, Any] = example("issue_comment", "created")
    comment["comment"]["body"] = "/plan"
    for delivery_id, event, payload in (
        ("d-1", "ping", example("ping")),
        ("d-2", "issue_comment", comment),
        ("d-3", "issues", example("issues", "edited")),
    ):
        ingest_delivery(database, Delivery(delivery_id, event, payload), ingest_config())
    url = database.url.render_as_string(hide_password=False)
    as_json = cli(tmp_path, url, "--json", "--limit", "2")
    assert as_json.returncode == 0, as_json.stderr
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["delivery_id"] for r in rows] == ["d-3", "d-2"]
    assert rows[0]["event"] == "issues.edited" and rows[0]["outcome"] == "ignored"
    assert rows[0]["reason"] == "issues.edited is not a trigger"
    assert rows[1]["outcome"] == "queued" and len(rows[1]["task_ids"]) == 1
    table = cli(tmp_path, url)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["time", "delivery", "event", "repository"]
    assert "issue_comment.created" in table.stdout and "Codertocat/Hello-World" in table.stdout
    assert len(lines) == 4


def test_missing_schema_is_reported(tmp_path: Path) -> None:
    result = cli(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode == 1
    assert "migrated" in result.stderr
