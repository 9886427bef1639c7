"""`codemonkey action`: environment checks through the real CLI, and inline runs."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.action import (
    ActionEnv,
    ActionError,
    action_settings,
    check_model_keys,
    read_event,
    run_action,
)
from bot.queue.handlers import Handler, HandlerRegistry, PermanentTaskError, TaskContext
from bot.services import Services, build_services
from bot.settings import Settings
from storage.sql.models import Task, WebhookDelivery
from tests.webhooks.support import example

ROOT = Path(__file__).resolve().parents[2]


def cli(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "CODEMONKEY_LOG_FORMAT": "text",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "action"],
        env={**base, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def event_file(tmp_path: Path, payload: dict[str, Any]) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def github_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = "/plan"
    env = {
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_EVENT_PATH": str(event_file(tmp_path, payload)),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_TOKEN": "ghs_test",
        "GITHUB_RUN_ID": "77",
        "ANTHROPIC_API_KEY": "sk-ant-test",
    }
    env.update(extra)
    return env


def test_missing_token_fails_with_a_fix(tmp_path: Path) -> None:
    env = github_env(tmp_path)
    del env["GITHUB_TOKEN"]
    result = cli(tmp_path, env)
    assert result.returncode == 2
    assert "GITHUB_TOKEN is not set" in result.stderr
    assert "secrets.GITHUB_TOKEN" in result.stderr


def test_missing_event_variables_fail(tmp_path: Path) -> None:
    env = github_env(tmp_path)
    del env["GITHUB_EVENT_PATH"], env["GITHUB_REPOSITORY"]
    with pytest.raises(ActionError, match="GITHUB_EVENT_PATH, GITHUB_REPOSITORY not set"):
        ActionEnv.from_environ(env)


def test_missing_model_key_fails() -> None:
    with pytest.raises(ActionError, match="anthropic_api_key"):
        check_model_keys(
            Settings(
                anthropic_api_key=None,
                openai_api_key=None,
                openrouter_api_key=None,
                ollama_host=None,
            )
        )
    check_model_keys(Settings(openrouter_api_key=SecretStr("sk-or-x")))


def test_missing_event_file_fails_through_the_cli(tmp_path: Path) -> None:
    result = cli(tmp_path, github_env(tmp_path, GITHUB_EVENT_PATH=str(tmp_path / "nope.json")))
    assert result.returncode == 2
    assert "cannot read GITHUB_EVENT_PATH" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"), [("{broken", "is not JSON"), ("[]", "JSON object")]
)
def test_malformed_event_file_fails(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ActionError, match=message):
        read_event(_env(path))


def test_ignored_event_exits_zero(tmp_path: Path) -> None:
    env = github_env(tmp_path)
    env["GITHUB_EVENT_PATH"] = str(event_file(tmp_path, example("issue_comment", "created")))
    result = cli(tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "ignored: no @codemonkey mention" in result.stdout


def _env(path: Path, event: str = "issue_comment", run_id: str = "5") -> ActionEnv:
    return ActionEnv(
        event_name=event,
        event_path=path,
        repository="Codertocat/Hello-World",
        token=SecretStr("ghs_x"),
        run_id=run_id,
    )


def _services(tmp_path: Path, handlers: dict[str, Handler]) -> Services:
    """The Action's services with the given handlers in place of the flows."""
    settings = action_settings(
        Settings(data_dir=tmp_path / "data", task_retry_base_seconds=0.01),
        {"RUNNER_TEMP": str(tmp_path / "runner")},
    )

    def register(services: Services, registry: HandlerRegistry) -> None:
        for kind, handler in handlers.items():
            registry.register(kind, handler)

    return build_services(settings, register)


def test_real_event_runs_inline_and_is_recorded(tmp_path: Path) -> None:
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = "@codemonkey architect sketch the design"
    env = _env(event_file(tmp_path, payload))
    seen: list[TaskContext] = []

    def answer(ctx: TaskContext) -> dict[str, Any]:
        seen.append(ctx)
        return {"answered": True}

    services = _services(tmp_path, {"mention.answer": answer})
    out = io.StringIO()
    code = run_action(env, services, out=out)
    assert code == 0
    assert [(c.task.kind, c.task.payload["role"]) for c in seen] == [
        ("mention.answer", "architect")
    ]
    assert seen[0].task.payload["request"] == "sketch the design"
    with services.database.session() as session:
        task = session.scalars(select(Task)).one()
        delivery = session.scalars(select(WebhookDelivery)).one()
    assert task.state == "succeeded" and task.attempts == 1
    assert delivery.delivery_id == "action-5-1" and delivery.task_ids == [task.id]
    assert f"task {task.id} mention.answer: succeeded" in out.getvalue()
    # The same run again (same database) is a redelivery: nothing runs twice.
    again = run_action(env, services, out=io.StringIO())
    assert again == 0 and len(seen) == 1
    services.close()
    assert (tmp_path / "runner" / "codemonkey" / "codemonkey.db").is_file()


def test_failing_flow_fails_the_run(tmp_path: Path) -> None:
    payload = example("pull_request", "opened")
    env = _env(event_file(tmp_path, payload), event="pull_request")

    def qa(ctx: TaskContext) -> dict[str, Any]:
        raise PermanentTaskError("tests failed to start")

    services = _services(tmp_path, {"pr.review": lambda ctx: {"ok": True}, "pr.qa": qa})
    out = io.StringIO()
    assert run_action(env, services, out=out) == 1
    with services.database.session() as session:
        states = {t.kind: (t.state, t.error) for t in session.scalars(select(Task))}
    services.close()
    assert states["pr.review"] == ("succeeded", None)
    assert states["pr.qa"][0] == "failed" and "tests failed to start" in str(states["pr.qa"][1])
    assert "pr.qa: failed" in out.getvalue()


def test_events_caused_by_the_actions_bot_are_ignored(tmp_path: Path) -> None:
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = "/plan"
    payload["sender"] = {"login": "github-actions[bot]", "type": "Bot"}
    calls: list[TaskContext] = []

    def plan(ctx: TaskContext) -> None:
        calls.append(ctx)

    services = _services(tmp_path, {"command.plan": plan})
    out = io.StringIO()
    code = run_action(_env(event_file(tmp_path, payload)), services, out=out)
    services.close()
    assert code == 0 and calls == []
    assert "github-actions[bot]" in out.getvalue()
