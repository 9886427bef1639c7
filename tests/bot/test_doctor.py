from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import fresh_postgres_database
from tests.fakes.llm.fixtures import Fake, fresh

PROVIDER_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "OPENROUTER_BASE_URL",
    "OLLAMA_HOST",
    "CODEMONKEY_DEFAULT_MODEL",
    "CODEMONKEY_REDIS_URL",
    "CODEMONKEY_DATABASE_URL",
)


@pytest.fixture
def openai_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, live_fakes: dict[str, Fake]
) -> Fake:
    for name in PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fake = fresh(live_fakes, "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", fake.script.api_key)
    monkeypatch.setenv("CODEMONKEY_DEFAULT_MODEL", f"openai:{fake.model}")
    return fake


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run_doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["doctor", "--json", "--timeout", "5"])
    return code, json.loads(capsys.readouterr().out)


def test_healthy_embedded_setup(openai_only: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    # An embedded database is migrated on first use by serve; doctor only inspects.
    assert main(["migrate"]) == 0
    capsys.readouterr()
    code, report = run_doctor(capsys)
    checks = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert code == 0, report
    assert set(checks) == {"database", "kv", "vectors", "embeddings", "sandbox"}
    assert all(c["ok"] for c in checks.values())
    providers = {p["name"]: p for p in report["providers"]}  # type: ignore[attr-defined]
    assert providers["openai"]["ok"] is True
    assert providers["anthropic"]["configured"] is False


def test_missing_embedded_database_says_how_to_create_it(
    openai_only: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_doctor(capsys)
    checks = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert code == 1
    assert "codemonkey migrate" in checks["database"]["detail"]


def test_unmigrated_database_and_dead_redis_say_how_to_fix(
    openai_only: Fake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for unmigrated in fresh_postgres_database(create_tables=False):
        monkeypatch.setenv("CODEMONKEY_DATABASE_URL", unmigrated.url.render_as_string(False))
        monkeypatch.setenv("CODEMONKEY_REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
        code, report = run_doctor(capsys)
    checks = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert code == 1
    assert checks["database"]["ok"] is False
    assert "at revision empty; run `codemonkey migrate`" in checks["database"]["detail"]
    assert checks["kv"]["ok"] is False
    assert "CODEMONKEY_REDIS_URL" in checks["kv"]["detail"]


def test_failing_provider_of_the_default_model_fails_doctor(
    openai_only: Fake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    capsys.readouterr()
    code, report = run_doctor(capsys)
    providers = {p["name"]: p for p in report["providers"]}  # type: ignore[attr-defined]
    assert code == 1
    assert providers["openai"]["ok"] is False
    assert "OPENAI_API_KEY" in str(providers["openai"]["error"])
