"""`codemonkey chat` run for real against each fake, and `check_providers` for doctor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.providers.probe import check_providers
from agents.providers.provider_config import LLMConfig, ProviderConfig
from bot.cli import main
from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.script import Fail, Text

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "anthropic": ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_KEY"),
    "openrouter": ("OPENROUTER_BASE_URL", "OPENROUTER_API_KEY"),
    "ollama": ("OLLAMA_HOST", None),
}


def provider_env(fake: Fake, key: str | None = None) -> dict[str, str]:
    url_var, key_var = ENV[fake.name]
    env = {url_var: fake.base_url}
    if key_var:
        env[key_var] = key or fake.script.api_key
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # Only PATH/HOME and the provider's own variables: nothing else configures the call.
    clean = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_chat_command_against_each_fake(
    fake: Fake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stream: bool,
) -> None:
    fake.script.push(Text("Four, as always."))
    _in_process(monkeypatch, tmp_path, provider_env(fake))
    flags = ["--stream"] if stream else []
    code = main(["chat", *flags, "--model", fake.model_id, "--system", "Be brief.", "2+2?"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == "Four, as always.\n"
    (request,) = fake.script.accepted
    assert "Be brief." in str(request.body)
    assert bool(request.body.get("stream")) is stream


def test_chat_command_as_a_real_process(live_fakes: dict[str, Fake], tmp_path: Path) -> None:
    """The installed entry point, in a process whose environment holds only the fake's URL
    and key (slow to start, so once; the in-process test covers every provider)."""
    fake = fresh(live_fakes, "openrouter")
    fake.script.push(Text("Streamed from a subprocess."))
    args = ["chat", "--stream", "--model", fake.model_id, "hello"]
    result = run_cli(args, provider_env(fake), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Streamed from a subprocess.\n"
    (request,) = fake.script.accepted
    assert request.headers["authorization"] == f"Bearer {fake.script.api_key}"
    assert request.headers["x-title"] == "CodeMonkey"


def _in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in os.environ:
        if variable.startswith(("CODEMONKEY_", "ANTHROPIC_", "OPENAI_", "OPENROUTER_", "OLLAMA_")):
            monkeypatch.delenv(variable)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_chat_with_a_wrong_key_says_which_variable_to_fix(
    live_fakes: dict[str, Fake],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = fresh(live_fakes, "anthropic")
    _in_process(monkeypatch, tmp_path, provider_env(fake, key="wrong-key"))
    code = main(["chat", "--model", fake.model_id, "hello"])
    captured = capsys.readouterr()
    assert code == 1
    assert "401" in captured.err and "set ANTHROPIC_API_KEY" in captured.err
    assert "wrong-key" not in captured.err
    assert captured.out == ""


def test_chat_without_a_key_fails_before_any_request(
    live_fakes: dict[str, Fake],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = fresh(live_fakes, "openrouter")
    _in_process(monkeypatch, tmp_path, {"OPENROUTER_BASE_URL": fake.base_url})
    assert main(["chat", "--model", fake.model_id, "hello"]) == 1
    assert "set OPENROUTER_API_KEY" in capsys.readouterr().err
    assert fake.script.requests == []


def test_chat_reports_an_exhausted_server_error_and_a_bad_model_id(
    live_fakes: dict[str, Fake],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = fresh(live_fakes, "ollama")
    _in_process(monkeypatch, tmp_path, provider_env(fake) | {"CODEMONKEY_LLM_MAX_RETRIES": "0"})
    fake.script.push(Fail(500, "llama runner process has terminated"))
    assert main(["chat", "--stream", "--model", fake.model_id, "hello"]) == 1
    assert "llama runner process has terminated" in capsys.readouterr().err
    assert main(["chat", "--model", "gemini:pro", "hello"]) == 2
    assert "unknown provider 'gemini'" in capsys.readouterr().err


async def test_check_providers_reports_each_provider(live_fakes: dict[str, Fake]) -> None:
    fakes = [fresh(live_fakes, name) for name in ("anthropic", "openai", "openrouter", "ollama")]
    config = LLMConfig(providers=tuple(f.config() for f in fakes))
    statuses = {s.name: s for s in await check_providers(config)}
    assert all(s.ok for s in statuses.values()), statuses
    assert "claude-sonnet-4-6" in statuses["anthropic"].models
    assert "gpt-4.1" in statuses["openai"].models
    assert "meta-llama/llama-3.3-70b-instruct" in statuses["openrouter"].models
    assert "qwen2.5-coder:7b" in statuses["ollama"].models


async def test_check_providers_explains_what_is_wrong(live_fakes: dict[str, Fake]) -> None:
    anthropic = fresh(live_fakes, "anthropic")
    config = LLMConfig(
        providers=(
            anthropic.config(api_key="revoked"),
            ProviderConfig("openai"),
            # A loopback port nothing listens on.
            ProviderConfig("ollama", base_url="http://127.0.0.1:9"),
        )
    )
    statuses = {
        s.name: s
        for s in await check_providers(
            config, names=("anthropic", "openai", "ollama"), timeout_seconds=2
        )
    }
    assert statuses["anthropic"].configured and not statuses["anthropic"].reachable
    assert "set ANTHROPIC_API_KEY" in (statuses["anthropic"].error or "")
    assert not statuses["openai"].configured
    assert statuses["openai"].error == "not configured; set OPENAI_API_KEY"
    assert not statuses["ollama"].reachable
    assert "OLLAMA_HOST" in (statuses["ollama"].error or "")
