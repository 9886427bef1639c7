"""The team over HTTP in the process shapes it runs in: `codemonkey run`, a `codemonkey
worker` on RQ + Redis running several tasks in one process, and `codemonkey action`. The
provider fakes run in this test process and play the scripted team; the commands reach
them through the providers' base-URL variables, as they would a real provider."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.agents.helpers import git
from tests.conftest import REDIS_URL
from tests.core_install import blocked_env
from tests.fakegithub.fake import FakeGitHub
from tests.fakegithub.hooks import WebhookDelivery
from tests.fakes.llm.fixtures import Fake
from tests.fakes.llm.wire_team import WireTeam
from tests.flows.harness import REPO, SAMPLE_FILES, RQDriver, world
from tests.flows.scripts import FAREWELL, team
from tests.flows.test_run_command import _sample_repo

ROOT = Path(__file__).resolve().parents[2]
BASE_URL_VARIABLES = {
    "anthropic": "ANTHROPIC_BASE_URL",
    "openai": "OPENAI_BASE_URL",
    "openrouter": "OPENROUTER_BASE_URL",
    "ollama": "OLLAMA_HOST",
}
KEY_VARIABLES = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
}


def provider_env(fake: Fake) -> dict[str, str]:
    env = {BASE_URL_VARIABLES[fake.name]: fake.base_url}
    if fake.name in KEY_VARIABLES:
        env[KEY_VARIABLES[fake.name]] = fake.script.api_key
    return env


def base_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no provider or CodeMonkey variables from the test runner."""
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path / "home"),
            "CODEMONKEY_DATA_DIR": str(tmp_path / "data"),
            "CODEMONKEY_LOG_FORMAT": "text",
            "CODEMONKEY_LLM_MAX_RETRIES": "2",
        }
    )
    return env


@pytest.fixture
def openai_fake(live_fakes: dict[str, Fake]) -> Iterator[Fake]:
    chosen = live_fakes["openai"]
    chosen.script.reset()
    yield chosen
    chosen.script.reset()


def _codemonkey_run(
    tmp_path: Path, repo: Path, fake: Fake, task: str, *, core: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**base_env(tmp_path), **provider_env(fake)}
    if core:  # without the `server` and `index` extras
        env = blocked_env(env, tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--repo", str(repo), "--model", fake.model_id, task],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize("provider", ["openai", "anthropic", "ollama"])
def test_codemonkey_run_over_http_plans_implements_tests_and_reviews(
    tmp_path: Path, live_fakes: dict[str, Fake], provider: str
) -> None:
    fake = live_fakes[provider]
    fake.script.reset()
    played = WireTeam(fake.name, team())
    fake.script.responder = played
    try:
        repo = _sample_repo(tmp_path / "sample")
        done = _codemonkey_run(tmp_path, repo, fake, "Add a farewell function")
    finally:
        fake.script.reset()
    assert done.returncode == 0, done.stdout + done.stderr
    assert played.problems == []
    roles = {r.options.role for r in played.requests}
    assert {"project_manager", "backend_developer", "qa", "code_reviewer"} <= roles
    out = done.stdout
    assert "=== check run [success] ===" in out and "=== review [APPROVE] ===" in out
    branch = "codemonkey/1-add-a-farewell-function"
    assert git(repo, "show", f"{branch}:app.py") == FAREWELL
    assert "Event loop is closed" not in done.stdout + done.stderr


def test_codemonkey_run_works_on_a_core_install(tmp_path: Path, openai_fake: Fake) -> None:
    played = WireTeam(openai_fake.name, team())
    openai_fake.script.responder = played
    repo = _sample_repo(tmp_path / "sample")
    done = _codemonkey_run(tmp_path, repo, openai_fake, "Add a farewell function", core=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert played.problems == []
    assert "=== check run [success] ===" in done.stdout
    assert git(repo, "show", "codemonkey/1-add-a-farewell-function:app.py") == FAREWELL


def test_codemonkey_run_stops_with_the_fix_when_the_model_never_calls_a_tool(
    tmp_path: Path, openai_fake: Fake
) -> None:
    def prose(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        return "I think we should add a farewell function to app.py."

    played = WireTeam(openai_fake.name, prose)
    openai_fake.script.responder = played
    repo = _sample_repo(tmp_path / "sample")
    done = _codemonkey_run(tmp_path, repo, openai_fake, "Add a farewell function")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{openai_fake.model} did not call any tool" in done.stdout
    assert "Choose a model that does" in done.stdout
    # Nudged once, then stopped: two model calls, no plan posted as if it were one.
    assert len(played.requests) == 2
    assert "### Plan" not in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_codemonkey_worker_runs_the_issue_flow_over_http(
    postgres_database: Database, fake_github: FakeGitHub, tmp_path: Path, openai_fake: Fake
) -> None:
    """One `codemonkey worker` process on RQ + Redis runs every task of the issue (plan,
    implementation, finalize, QA, review): several model-calling tasks in one process."""
    fake = fake_github
    redis = Redis.from_url(REDIS_URL)
    try:
        with world(
            tmp_path,
            postgres_database,
            fake,
            team(),
            rq_redis=redis,
            wire=openai_fake,
            start_queue=False,
        ) as w:
            assert isinstance(w.queue, RQDriver)
            queue_name = w.queue.rq.name
            env = {
                **base_env(tmp_path),
                **provider_env(openai_fake),
                "CODEMONKEY_DATABASE_URL": postgres_database.url.render_as_string(
                    hide_password=False
                ),
                "CODEMONKEY_REDIS_URL": REDIS_URL,
                "CODEMONKEY_QUEUE_NAME": queue_name,
                "CODEMONKEY_DEFAULT_MODEL": openai_fake.model_id,
                "CODEMONKEY_GITHUB_API_URL": fake.urls.api,
                "CODEMONKEY_GITHUB_APP_ID": str(fake.app.id),
                "CODEMONKEY_GITHUB_PRIVATE_KEY": fake.app.private_key_pem,
                "CODEMONKEY_GITHUB_APP_SLUG": "codemonkey",
                "CODEMONKEY_WEBHOOK_SECRET": "unused-by-the-worker",
                "CODEMONKEY_TASK_REAPER_INTERVAL_SECONDS": "0.5",
            }
            log = tmp_path / "worker.log"
            with open(log, "wb") as sink:
                worker = subprocess.Popen(
                    [sys.executable, "-m", "bot", "worker", "--queue", queue_name],
                    env=env,
                    cwd=tmp_path,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                issue = fake.create_issue(
                    REPO, "Add a farewell", "We need farewell(name).", user="alice"
                )
                fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
                deadline = time.monotonic() + 150
                while time.monotonic() < deadline:
                    tasks = w.all_tasks()
                    kinds = {t.kind for t in tasks}
                    finished = all(t.state in ("succeeded", "failed", "cancelled") for t in tasks)
                    if finished and {"review", "qa"} <= kinds:
                        break
                    assert worker.poll() is None, log.read_text()[-3000:]
                    time.sleep(0.3)
            finally:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
            output = log.read_text()
            assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe() + output[-3000:]
            assert [t.attempts for t in w.all_tasks()] == [1] * len(w.all_tasks()), w.describe()
            assert len(w.all_tasks()) >= 5
            assert w.file_at("codemonkey/1-add-a-farewell", "app.py") == FAREWELL
            runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
            assert [r.conclusion for r in runs] == ["success"]
            assert "Event loop is closed" not in output
            assert "attached to a different loop" not in output
            roles = {r.options.role for r in w.model.requests}
            assert {"project_manager", "backend_developer", "qa", "code_reviewer"} <= roles
    finally:
        redis.close()


@pytest.mark.parametrize("install", ["all", "core"])
def test_codemonkey_action_runs_a_labelled_issue_over_http(
    fake_github: FakeGitHub, tmp_path: Path, live_fakes: dict[str, Fake], install: str
) -> None:
    """The Action on a labelled issue: the whole flow inline in one process, the model
    (Anthropic's wire format here) reached over HTTP, GitHub with the workflow token.
    `core`: as action.yml installs it, without the `server` and `index` extras."""
    fake = fake_github
    model_fake = live_fakes["anthropic"]
    model_fake.script.reset()
    played = WireTeam(model_fake.name, team())
    model_fake.script.responder = played
    fake.create_repo(REPO, SAMPLE_FILES)
    fake.set_permission(REPO, "alice", "write")
    issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
    captured: list[WebhookDelivery] = []

    def capture(delivery: WebhookDelivery) -> int:
        captured.append(delivery)
        return 200

    fake.send_webhooks_to(capture, "unused")
    fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
    fake.send_webhooks_to(None, "")
    (delivery,) = captured
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(delivery.payload))
    env = {
        **base_env(tmp_path),
        **provider_env(model_fake),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_EVENT_NAME": delivery.event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": fake.issue_action_token(REPO),
        "GITHUB_API_URL": fake.urls.api,
        "GITHUB_RUN_ID": "4343",
        "CODEMONKEY_DEFAULT_MODEL": model_fake.model_id,
    }
    if install == "core":
        env = blocked_env(env, tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "action"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        model_fake.script.reset()
    assert done.returncode == 0, done.stdout + done.stderr
    assert played.problems == []
    assert "Event loop is closed" not in done.stdout + done.stderr
    branch = "codemonkey/1-add-a-farewell"
    found = fake.read_blob(REPO, branch, "app.py")
    assert found is not None and found[0].decode() == FAREWELL
    runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
    assert [r.conclusion for r in runs] == ["success"]
    assert any(p.head == branch for p in fake.pulls.values())
    roles = {r.options.role for r in played.requests}
    assert {"project_manager", "backend_developer", "qa", "code_reviewer"} <= roles
