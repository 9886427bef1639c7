"""Model names and role names in the settings, the repository config and on the command
line: a name without a provider or a misspelled role is refused with the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.roles import RoleError, apply_overrides, load_roles
from bot.cli import main
from bot.settings import SettingsError, load_settings
from webhooks.repo_config import RepoConfig

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = "anthropic, ollama, openai, openrouter"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("CODEMONKEY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CODEMONKEY_DEFAULT_MODEL", "gpt-4o"),
        ("CODEMONKEY_ROLE_MODELS", '{"reviewer": "gpt-4o"}'),
        ("CODEMONKEY_FALLBACK_MODELS", '{"openai:gpt-4.1": ["gpt-4o"]}'),
    ],
)
def test_a_model_without_provider_is_refused_at_load(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{variable}: model 'gpt-4o' is not `provider:model`")
    assert PROVIDERS in message and "\n" not in message


def test_a_misspelled_role_names_the_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEMONKEY_ROLE_MODELS", '{"reviwer": "openai:gpt-4.1"}')
    with pytest.raises(SettingsError, match="unknown role 'reviwer'") as info:
        load_settings()
    assert "code_reviewer" in str(info.value) and "reviewer" in str(info.value)


def test_short_role_names_and_canonical_ones_both_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CODEMONKEY_ROLE_MODELS", '{"backend": "openai:gpt-4.1", "qa": "ollama:qwen2.5-coder:7b"}'
    )
    monkeypatch.setenv("CODEMONKEY_FALLBACK_MODELS", '{"pm": ["openai:gpt-4.1"]}')
    settings = load_settings()
    roles = load_roles()
    assert roles["backend_developer"].model_ref(settings.default_model, settings.role_models) == (
        "openai:gpt-4.1"
    )
    assert roles["qa"].model_ref(settings.default_model, settings.role_models) == (
        "ollama:qwen2.5-coder:7b"
    )
    assert settings.fallback_models == {"project_manager": ["openai:gpt-4.1"]}


def test_settings_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = cli(["config"], {"CODEMONKEY_DEFAULT_MODEL": "gpt-4o"}, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert "CODEMONKEY_DEFAULT_MODEL" in line and "provider:model" in line and PROVIDERS in line


@pytest.mark.parametrize("command", ["chat", "run"])
def test_model_flag_without_provider_is_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    args = ["run", "--repo", str(tmp_path)] if command == "run" else ["chat"]
    assert main([*args, "--model", "gpt-4o", "do it"]) == 2
    err = capsys.readouterr().err
    assert f"codemonkey {command}: --model: model 'gpt-4o' is not `provider:model`" in err
    assert PROVIDERS in err


def test_repository_config_role_models_are_checked() -> None:
    with pytest.raises(ValueError, match="'gpt-4o' is not `provider:model`"):
        RepoConfig.model_validate({"roles": {"reviewer": {"model": "gpt-4o"}}})
    with pytest.raises(RoleError, match="unknown provider 'gemini'"):
        apply_overrides(load_roles(), {"qa": {"model": "gemini:pro"}})
    config = RepoConfig.model_validate({"roles": {"reviewer": {"model": "openai:gpt-4.1"}}})
    assert config.model_for("code_reviewer") == "openai:gpt-4.1", "the alias is resolved"
