"""API keys: hashed at rest, shown once, revocable; through the API and the CLI."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.api.auth import authenticate
from bot.api.errors import Unauthenticated
from bot.api.types import Role
from bot.cli import main
from storage.sql.database import Database
from storage.sql.models import ApiKey, AuditEntry, Project
from tests.api.support import ApiHarness


def _all_stored_text(database: Database) -> str:
    with database.session() as session:
        keys = session.scalars(select(ApiKey)).all()
        audit = session.scalars(select(AuditEntry)).all()
        return repr([vars(k) for k in keys]) + repr([vars(a) for a in audit])


def test_created_key_is_returned_once_and_stored_hashed(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    with api.database.session() as session:
        project = Project(name="octo/a")
        session.add(project)
        session.flush()
        project_id = project.id
    response = api.client.post(
        "/api/v1/keys", json={"name": "ci", "role": "member", "project_id": project_id},
        headers=admin,
    )  # fmt: skip
    assert response.status_code == 201
    created = response.json()
    secret = created["key"]
    assert secret.startswith("cm_") and len(secret) > 40
    assert secret.startswith(created["prefix"])
    assert secret not in _all_stored_text(api.database)
    with api.database.session() as session:
        row = session.get(ApiKey, created["id"])
        assert row is not None
        assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    listed = api.client.get("/api/v1/keys", headers=admin)
    assert secret not in listed.text
    assert all("key" not in item and "key_hash" not in item for item in listed.json()["items"])
    # The new key works, with its role on its project.
    new = api.auth(secret)
    assert api.client.get(f"/api/v1/projects/{project_id}", headers=new).status_code == 200
    assert api.client.get("/api/v1/keys", headers=new).status_code == 403


def test_revoked_key_stops_working_and_last_used_is_recorded(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    secret = api.client.post(
        "/api/v1/keys", json={"name": "tmp", "role": "viewer"}, headers=admin
    ).json()["key"]
    assert api.client.get("/api/v1/projects", headers=api.auth(secret)).status_code == 200
    with api.database.session() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.name == "tmp"))
        assert row is not None and row.last_used_at is not None
        key_id = row.id
    assert api.client.delete(f"/api/v1/keys/{key_id}", headers=admin).status_code == 204
    assert api.client.get("/api/v1/projects", headers=api.auth(secret)).status_code == 401
    assert api.client.delete("/api/v1/keys/99999", headers=admin).status_code == 404
    unknown_project = api.client.post(
        "/api/v1/keys", json={"name": "x", "role": "viewer", "project_id": 4242}, headers=admin
    )
    assert unknown_project.status_code == 404
    with api.database.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["keys.create", "keys.revoke"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`main()` configures the root logger for the process; undo it for the next tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _database_url(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def test_cli_create_list_revoke(
    database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEMONKEY_DATABASE_URL", _database_url(database))
    with database.session() as session:
        session.add(Project(name="octo/a"))

    assert (
        main(["keys", "create", "--name", "deploy", "--role", "member", "--project", "octo/a"]) == 0
    )
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert secret.startswith("cm_")
    principal = authenticate(database, f"Bearer {secret}")
    assert (principal.name, principal.role, principal.is_global) == ("deploy", Role.MEMBER, False)
    assert secret not in _all_stored_text(database)

    assert main(["keys", "create", "--name", "root", "--role", "admin"]) == 0
    root = capsys.readouterr().out.strip().splitlines()[-1]
    assert authenticate(database, f"Bearer {root}").is_global

    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "deploy" in listing and "octo/a" in listing and "(global)" in listing
    assert secret not in listing and root not in listing

    assert main(["keys", "revoke", str(principal.key_id)]) == 0
    capsys.readouterr()
    with pytest.raises(Unauthenticated):
        authenticate(database, f"Bearer {secret}")
    assert main(["keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_cli_errors_exit_nonzero_with_a_fix(
    database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEMONKEY_DATABASE_URL", _database_url(database))
    assert main(["keys", "create", "--name", "x", "--role", "admin", "--project", "no/such"]) == 1
    assert "register it first" in capsys.readouterr().err
    assert main(["keys", "revoke", "12345"]) == 1
    assert "codemonkey keys list" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["keys", "create", "--name", "x", "--role", "owner"])
    assert exc.value.code == 2


def test_cli_creates_tables_on_a_fresh_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'cm.db'}"
    monkeypatch.setenv("CODEMONKEY_DATABASE_URL", url)
    assert main(["keys", "create", "--name", "first", "--role", "admin"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    database = Database(url)
    try:
        assert authenticate(database, f"Bearer {secret}").name == "first"
    finally:
        database.dispose()
