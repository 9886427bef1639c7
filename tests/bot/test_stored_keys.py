"""Provider keys stored with `codemonkey secrets set` reach the provider from `chat`, `run`,
`doctor` and `action`, and a wrong CODEMONKEY_SECRET_KEY is reported, not ignored."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.script import Fail, Text
from tests.webhooks.support import example

ROOT = Path(__file__).resolve().parents[2]
SERVICE_KEY = "a-long-random-service-secret-for-tests"
STORED_KEY = "sk-stored-only-in-the-database"
DECRYPT_ERROR = "cannot decrypt stored secrets"


@pytest.fixture
def openai_fake(
    live_fakes: dict[str, Fake], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Fake]:
    """The OpenAI fake accepting only the stored key; no key in the environment."""
    for name in list(os.environ):
        if name.startswith(("CODEMONKEY_", "ANTHROPIC_", "OPENAI_", "OPENROUTER_", "OLLAMA_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CODEMONKEY_SECRET_KEY", SERVICE_KEY)
    monkeypatch.setenv("CODEMONKEY_DATABASE_URL", f"sqlite:///{tmp_path / 'secrets.db'}")
    fake = fresh(live_fakes, "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("CODEMONKEY_DEFAULT_MODEL", fake.model_id)
    monkeypatch.setenv("CODEMONKEY_LLM_MAX_RETRIES", "0")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{STORED_KEY}\n"))
    assert main(["secrets", "set", "openai"]) == 0
    saved = fake.script.api_key
    fake.script.api_key = STORED_KEY
    try:
        yield fake
    finally:
        fake.script.api_key = saved
        fake.script.reset()


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real entry point; the environment is the test's (set by the fixture) plus `env`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=os.environ | {"PYTHONPATH": str(ROOT), "HOME": str(cwd)} | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sent_keys(fake: Fake) -> list[str]:
    return [r.headers["authorization"] for r in fake.script.requests]


def test_chat_sends_the_stored_key(openai_fake: Fake, tmp_path: Path) -> None:
    openai_fake.script.push(Text("From the stored key."))
    result = cli(["chat", "hello"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "From the stored key.\n"
    assert _sent_keys(openai_fake) == [f"Bearer {STORED_KEY}"]


def test_run_sends_the_stored_key(
    openai_fake: Fake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README.md").write_text("hello\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    # The project manager's first call is refused; the run stops, having sent the key.
    openai_fake.script.push(Fail(400, "stop here"))
    code = main(["run", "--repo", str(repo), "--parallel", "1", "add a greeting"])
    capsys.readouterr()
    assert code == 1
    assert _sent_keys(openai_fake)[:1] == [f"Bearer {STORED_KEY}"]


def test_doctor_uses_the_stored_key(openai_fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json", "--timeout", "5"]) == 0, capsys.readouterr()
    report = json.loads(capsys.readouterr().out)
    providers = {p["name"]: p for p in report["providers"]}
    # The fake's /v1/models answers 401 to any other key.
    assert providers["openai"]["ok"] is True, providers["openai"]


@pytest.mark.parametrize("command", [["chat", "hello"], ["doctor"]])
def test_a_wrong_service_key_is_reported_with_the_fix(
    openai_fake: Fake, tmp_path: Path, command: list[str]
) -> None:
    result = cli(command, tmp_path, CODEMONKEY_SECRET_KEY="not-the-key-it-was-stored-with")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert DECRYPT_ERROR in line and "restore the old key" in line
    assert STORED_KEY not in result.stderr + result.stdout
    assert openai_fake.script.requests == []


def test_run_reports_a_wrong_service_key(
    openai_fake: Fake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.setenv("CODEMONKEY_SECRET_KEY", "not-the-key-it-was-stored-with")
    assert main(["run", "--repo", str(tmp_path / "repo"), "task"]) == 2
    assert DECRYPT_ERROR in capsys.readouterr().err


def _action_env(tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(example("issue_comment", "created")))
    return {
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_TOKEN": "ghs_test",
        "RUNNER_TEMP": str(tmp_path / "runner"),
    }


def test_action_accepts_a_stored_key_and_reports_a_wrong_service_key(
    openai_fake: Fake, tmp_path: Path
) -> None:
    env = _action_env(tmp_path)
    result = cli(["action"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "ignored: no @codemonkey mention" in result.stdout
    wrong = cli(["action"], tmp_path, **env, CODEMONKEY_SECRET_KEY="not-the-key")
    assert wrong.returncode == 2
    assert DECRYPT_ERROR in wrong.stderr and "Traceback" not in wrong.stderr
