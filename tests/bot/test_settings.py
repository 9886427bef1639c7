from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import SettingsError, load_settings, redact_url


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CODEMONKEY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_embedded(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.redis_url is None and settings.chroma_url is None
    assert (
        settings.effective_database_url == f"sqlite:///{tmp_path / '.codemonkey' / 'codemonkey.db'}"
    )


def test_environment_and_standard_provider_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEMONKEY_PORT", "9100")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-123")
    monkeypatch.setenv("CODEMONKEY_ROLE_MODELS", '{"reviewer": "openai:gpt-4.1"}')
    settings = load_settings()
    assert settings.port == 9100
    assert settings.anthropic_api_key is not None
    assert settings.anthropic_api_key.get_secret_value() == "sk-ant-123"
    # The short name people type is stored as the role file's name, which lookups use.
    assert settings.role_models == {"code_reviewer": "openai:gpt-4.1"}


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError):
        settings.port = 1  # type: ignore[misc]


def test_config_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "codemonkey.yml").write_text("port: 9200\nlog_level: DEBUG\n")
    monkeypatch.setenv("CODEMONKEY_LOG_LEVEL", "WARNING")
    settings = load_settings()
    assert settings.port == 9200
    assert settings.log_level == "WARNING"


def test_missing_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEMONKEY_CONFIG", "/nonexistent/cm.yml")
    with pytest.raises(SettingsError, match="CODEMONKEY_CONFIG"):
        load_settings()


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEMONKEY_PORT", "not-a-port")
    with pytest.raises(SettingsError, match="CODEMONKEY_PORT") as info:
        load_settings()
    assert "fix the variable" in str(info.value) and "\n" not in str(info.value)


def test_config_command_redacts_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-very-secret")
    monkeypatch.setenv("CODEMONKEY_DATABASE_URL", "postgresql+psycopg://bob:hunter2@db/cm")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    shown = json.loads(out)
    assert "sk-ant-very-secret" not in out and "hunter2" not in out
    assert shown["anthropic_api_key"] == "**********"
    assert shown["database_url"] == "postgresql+psycopg://bob:***@db/cm"


def test_bad_settings_exit_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEMONKEY_WORKER_THREADS", "0")
    assert main(["config"]) == 2
    assert "CODEMONKEY_WORKER_THREADS" in capsys.readouterr().err


def test_redact_url_leaves_urls_without_password() -> None:
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert redact_url("redis://:pw@h:1/0") == "redis://:***@h:1/0"
