"""`codemonkey action` end to end: a real workflow event, the real CLI as a subprocess, the
fake GitHub as the API (reached with a workflow GITHUB_TOKEN), real SQLite and queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakegithub.fake import FakeGitHub
from tests.fakegithub.hooks import WebhookDelivery

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/widgets"


def _captured_event(fake: FakeGitHub, body: str, user: str) -> WebhookDelivery:
    captured: list[WebhookDelivery] = []

    def capture(delivery: WebhookDelivery) -> int:
        captured.append(delivery)
        return 200

    fake.send_webhooks_to(capture, "unused")
    fake.add_comment(REPO, 1, body, user=user)
    fake.send_webhooks_to(None, "")
    (delivery,) = captured
    return delivery


def _run_action(
    fake: FakeGitHub, tmp_path: Path, delivery: WebhookDelivery
) -> subprocess.CompletedProcess[str]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(delivery.payload))
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "CODEMONKEY_LOG_FORMAT": "text",
        "GITHUB_EVENT_NAME": delivery.event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": fake.issue_action_token(REPO),
        "GITHUB_API_URL": fake.urls.api,
        "GITHUB_RUN_ID": "4242",
        "ANTHROPIC_API_KEY": "sk-ant-unused-by-status",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "action"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _comments(fake: FakeGitHub) -> list[str]:
    return [c.body for c in fake.comments.values() if c.number == 1]


def test_status_command_runs_inline_and_answers_on_github(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    fake.create_repo(REPO, {"README.md": "# widgets\n"})
    fake.set_permission(REPO, "alice", "write")
    fake.create_issue(REPO, "Add a greeting", "Please add a greeting.", user="alice")
    delivery = _captured_event(fake, "/status", "alice")
    result = _run_action(fake, tmp_path, delivery)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "issue_comment: queued" in result.stdout
    assert "command.status: succeeded" in result.stdout
    answers = [c for c in _comments(fake) if c != "/status"]
    assert answers == ["No CodeMonkey task for this issue yet."]
    # A rerun of the same workflow run is a redelivery: nothing is posted twice.
    again = _run_action(fake, tmp_path, delivery)
    assert again.returncode == 0 and "duplicate" in again.stdout
    assert len([c for c in _comments(fake) if c != "/status"]) == 1


def test_untrusted_command_gets_a_polite_refusal_and_no_work(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    fake.create_repo(REPO, {"README.md": "# widgets\n"})
    fake.set_permission(REPO, "mallory", "read")
    fake.create_issue(REPO, "Add a greeting", "Please add a greeting.", user="mallory")
    delivery = _captured_event(fake, "/implement", "mallory")
    result = _run_action(fake, tmp_path, delivery)
    assert result.returncode == 0, result.stdout + result.stderr
    replies = [c for c in _comments(fake) if c.startswith("Hi @mallory")]
    assert len(replies) == 1
    assert fake.branches(REPO) == ["main"]


def test_the_repository_config_applies_in_action_mode(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    # The Action's database is new on every run: the config comes from the default branch.
    fake = fake_github
    fake.create_repo(
        REPO, {"README.md": "# widgets\n", ".github/codemonkey.yml": "commands: [plan]\n"}
    )
    fake.set_permission(REPO, "alice", "write")
    fake.create_issue(REPO, "Add a greeting", "Please add a greeting.", user="alice")
    delivery = _captured_event(fake, "/status", "alice")
    result = _run_action(fake, tmp_path, delivery)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "command.status: succeeded" in result.stdout
    assert _comments(fake) == ["/status"]
