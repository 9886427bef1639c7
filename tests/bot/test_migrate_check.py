"""`codemonkey migrate --check`: what the Kubernetes init containers wait on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from storage.sql import migrate
from storage.sql.database import Database


def test_check_fails_until_the_schema_is_migrated_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CODEMONKEY_DATABASE_URL", raising=False)
    monkeypatch.setenv("CODEMONKEY_DATA_DIR", str(tmp_path))
    assert main(["migrate", "--check"]) == 1
    err = capsys.readouterr().err
    assert "at revision base, the code needs " in err and "run `codemonkey migrate`" in err
    database = Database(f"sqlite:///{tmp_path / 'codemonkey.db'}")
    assert migrate.current_revision(database) is None  # the check migrated nothing
    assert main(["migrate"]) == 0
    assert main(["migrate", "--check"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(", current")
    database.dispose()
