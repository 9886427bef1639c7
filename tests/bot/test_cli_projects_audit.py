"""`codemonkey projects add/list`, and the audit entries that key, secret and project changes
made from the command line leave (never with the secret in them)."""

from __future__ import annotations

import getpass
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.sql.database import Database
from storage.sql.models import AuditEntry, Project

SECRET_VALUE = "sk-audit-test-value-0123456789"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "CODEMONKEY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEMONKEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CODEMONKEY_SECRET_KEY", "a-long-random-service-secret-for-tests")


def _database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'data' / 'codemonkey.db'}")


def _audit(tmp_path: Path) -> list[tuple[str, str, str, dict[str, object]]]:
    database = _database(tmp_path)
    try:
        with database.session() as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.actor, r.action, r.target, dict(r.details)) for r in rows]
    finally:
        database.dispose()


def test_projects_add_registers_the_project_once_and_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["projects", "list"]) == 0
    assert "no projects yet; register one with `codemonkey projects add" in capsys.readouterr().out
    assert main(["projects", "add", "acme/rockets"]) == 0
    assert capsys.readouterr().out == "registered project 1 acme/rockets\n"
    assert main(["projects", "add", "acme/rockets"]) == 0  # again: nothing new
    assert "already registered" in capsys.readouterr().out
    assert main(["projects", "add", "acme/boosters", "--default-branch", "trunk"]) == 0
    assert main(["projects", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()[-2:]
    assert lines[0].split() == ["1", "acme/rockets", "main", "active"]
    assert lines[1].split() == ["2", "acme/boosters", "trunk", "active"]
    database = _database(tmp_path)
    with database.session() as session:
        assert session.scalars(select(Project.name).order_by(Project.id)).all() == [
            "acme/rockets",
            "acme/boosters",
        ]
    database.dispose()
    user = f"cli:{getpass.getuser()}"
    assert _audit(tmp_path) == [
        (user, "projects.create", "project:1", {"name": "acme/rockets"}),
        (user, "projects.create", "project:2", {"name": "acme/boosters"}),
    ]


@pytest.mark.parametrize("name", ["rockets", "acme/rockets/extra", "acme/rock ets", "../x/y"])
def test_a_name_that_is_not_owner_repo_is_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["projects", "add", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("codemonkey projects: ") and "OWNER/REPO" in err
    assert "Traceback" not in err


def test_a_project_key_needs_the_project_and_says_how_to_register_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["keys", "create", "--name", "laptop", "--role", "member", "--project", "acme/rockets"]
    assert main(argv) == 1
    assert "`codemonkey projects add acme/rockets`" in capsys.readouterr().err
    assert main(["projects", "add", "acme/rockets"]) == 0
    assert main(argv) == 0
    assert "role member on project acme/rockets" in capsys.readouterr().out


def test_key_and_secret_changes_are_audited_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "create", "--name", "ci", "--role", "admin"]) == 0
    api_key = capsys.readouterr().out.splitlines()[-1]
    assert api_key.startswith("cm_")
    assert main(["keys", "revoke", "1"]) == 0
    assert main(["keys", "revoke", "99"]) == 1  # nothing changed: nothing recorded
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET_VALUE + "\n"))
    assert main(["secrets", "set", "openai"]) == 0
    assert main(["secrets", "delete", "openai"]) == 0
    assert main(["secrets", "delete", "openai"]) == 0  # nothing stored: nothing recorded
    user = f"cli:{getpass.getuser()}"
    entries = _audit(tmp_path)
    assert entries == [
        (user, "keys.create", "api_key:1", {"name": "ci", "role": "admin", "project_id": None}),
        (user, "keys.revoke", "api_key:1", {"name": "ci"}),
        (user, "secrets.set", "secret:openai", {"provider": "openai"}),
        (user, "secrets.delete", "secret:openai", {"provider": "openai"}),
    ]
    recorded = json.dumps(entries)
    assert SECRET_VALUE not in recorded and api_key not in recorded
    assert api_key[12:] not in recorded  # not even the part after the shown prefix
