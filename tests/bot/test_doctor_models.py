"""`codemonkey doctor` checks what the configuration uses: the configured models are listed
by their provider and say whether they call tools; unused providers never fail; unknown
config keys are flagged."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from agents.providers.capabilities import tools_in_listing
from agents.providers.ollama import OllamaProvider
from agents.providers.provider_config import ProviderConfig
from bot.cli import main
from tests.fakes.llm.fixtures import Fake, fresh

VARIABLES = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "OLLAMA_HOST",
    "CODEMONKEY_REDIS_URL",
    "CODEMONKEY_DATABASE_URL",
    "CODEMONKEY_CONFIG",
    "CODEMONKEY_SECRET_KEY",
)


@pytest.fixture
def ollama(live_fakes: dict[str, Fake], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Fake:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fake = fresh(live_fakes, "ollama")
    monkeypatch.setenv("OLLAMA_HOST", fake.base_url)
    monkeypatch.setenv("CODEMONKEY_DEFAULT_MODEL", fake.model_id)
    assert main(["migrate"]) == 0
    return fake


def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["doctor", "--json", "--timeout", "5"])
    return code, json.loads(capsys.readouterr().out)


def test_ollama_fake_show_is_strict(ollama: Fake) -> None:
    url = f"{ollama.base_url}/api/show"
    shown = httpx.post(url, json={"model": "qwen2.5-coder:7b", "verbose": False})
    assert shown.status_code == 200 and "tools" in shown.json()["capabilities"]
    assert httpx.post(url, json={}).json() == {"error": "model is required"}
    assert httpx.post(url, json={"model": "qwen2.5-coder:7b", "verbose": "yes"}).status_code == 400
    missing = httpx.post(url, json={"model": "nope:1b"})
    assert missing.status_code == 404 and "not found" in missing.json()["error"]


async def test_ollama_provider_reads_tool_support(ollama: Fake) -> None:
    ollama.script.models = ("qwen2.5-coder:7b", "tinyllama:1b")
    provider = OllamaProvider(ProviderConfig("ollama", base_url=ollama.base_url))
    try:
        assert await provider.supports_tools("qwen2.5-coder:7b") is True
        assert await provider.supports_tools("tinyllama:1b") is False
    finally:
        await provider.aclose()
        ollama.script.models = ()
    (request, _) = [r for r in ollama.script.requests if r.path == "/api/show"]
    assert request.body == {"model": "qwen2.5-coder:7b"}


def test_tool_support_in_model_listings() -> None:
    local = ProviderConfig("openai", base_url="http://127.0.0.1:8080/v1")
    assert tools_in_listing({"supported_parameters": ["tools", "temperature"]}, local) is True
    assert tools_in_listing({"capabilities": ["completion"]}, local) is False
    assert tools_in_listing({}, local) is None
    assert tools_in_listing({}, ProviderConfig("openai")) is True


def test_doctor_reports_tools_and_unlisted_models(
    ollama: Fake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.script.models = ("qwen2.5-coder:7b", "tinyllama:1b")
    monkeypatch.setenv(
        "CODEMONKEY_ROLE_MODELS", '{"qa": "ollama:tinyllama:1b", "reviewer": "ollama:qwen3:8b"}'
    )
    try:
        code, report = doctor(capsys)
    finally:
        ollama.script.models = ()
    models = {m["model"]: m for m in report["models"]}  # type: ignore[attr-defined]
    assert models["ollama:qwen2.5-coder:7b"]["tools"] == "yes"
    assert models["ollama:tinyllama:1b"]["tools"] == "no"
    assert models["ollama:qwen3:8b"]["listed"] is False
    assert "does not list 'qwen3:8b'" in models["ollama:qwen3:8b"]["error"]
    assert code == 1


def test_unused_provider_that_is_down_does_not_fail(
    live_fakes: dict[str, Fake],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fake = fresh(live_fakes, "openai")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", fake.script.api_key)
    monkeypatch.setenv("CODEMONKEY_DEFAULT_MODEL", fake.model_id)
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(["doctor", "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    ollama_line = next(line for line in out.splitlines() if " ollama " in line)
    assert ollama_line.startswith("[ -- ]") and "no configured model uses it" in ollama_line
    assert "[FAIL]" not in out


def test_unknown_config_keys_and_variables_are_flagged(
    ollama: Fake,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "codemonkey.yml").write_text("protected_path: ['deploy/**']\n")
    monkeypatch.setenv("CODEMONKEY_ROLE_MODEL", '{"qa": "ollama:qwen2.5-coder:7b"}')
    code, report = doctor(capsys)
    config = report["config"]
    assert config["file"] == [  # type: ignore[index]
        "codemonkey.yml: unknown key 'protected_path' (did you mean protected_paths?)"
    ]
    assert (
        "unknown variable CODEMONKEY_ROLE_MODEL (did you mean CODEMONKEY_ROLE_MODELS?)"
        in config["variables"]  # type: ignore[index]
    )
    assert code == 1
