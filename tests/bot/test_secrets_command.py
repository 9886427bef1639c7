from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.llm_config import llm_config
from bot.settings import load_settings
from storage.secrets import SecretStore
from storage.sql.database import Database
from storage.sql.models import StoredSecret


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "CODEMONKEY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEMONKEY_SECRET_KEY", "a-long-random-service-secret-for-tests")


def test_stored_key_is_encrypted_and_fills_the_provider_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-stored-openai-key\n"))
    assert main(["secrets", "set", "openai"]) == 0
    assert main(["secrets", "list"]) == 0
    out = capsys.readouterr().out
    assert "openai      stored" in out and "sk-stored" not in out
    database = Database(f"sqlite:///{tmp_path / '.codemonkey' / 'codemonkey.db'}")
    with database.session() as session:
        row = session.scalars(select(StoredSecret)).one()
        assert b"sk-stored-openai-key" not in row.ciphertext
    settings = load_settings()
    assert settings.secret_key is not None
    store = SecretStore(database, settings.secret_key.get_secret_value())
    assert llm_config(settings, store).provider("openai").api_key == "sk-stored-openai-key"
    # A key in the environment wins over the stored one.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert llm_config(load_settings(), store).provider("openai").api_key == "sk-from-env"
    assert main(["secrets", "delete", "openai"]) == 0
    assert store.get("openai_api_key") is None


def test_without_a_service_secret_nothing_is_stored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CODEMONKEY_SECRET_KEY")
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-x\n"))
    assert main(["secrets", "set", "openai"]) == 2
    assert "CODEMONKEY_SECRET_KEY" in capsys.readouterr().err


def test_empty_input_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["secrets", "set", "anthropic"]) == 2
    assert "standard input" in capsys.readouterr().err
