"""A worker killed (SIGKILL) in the middle of a team task: another worker process resumes
it from its persisted steps, without a second comment, push or pull request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.sql.database import Database
from storage.sql.models import AgentState, SideEffect, Task
from tests.conftest import fresh_postgres_database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.flow_worker import BLOCKING_COMMAND
from tests.flows.harness import REPO, SECRET, wait_for, world
from tests.flows.scripts import team

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres() -> Iterator[Database]:
    yield from fresh_postgres_database()


def _worker(fake: FakeGitHub, database: Database, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CODEMONKEY_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "CODEMONKEY_DATA_DIR": str(data_dir),
        "CODEMONKEY_GITHUB_API_URL": fake.urls.api,
        "CODEMONKEY_GITHUB_APP_ID": str(fake.app.id),
        "CODEMONKEY_GITHUB_PRIVATE_KEY": fake.app.private_key_pem,
        "CODEMONKEY_WEBHOOK_SECRET": SECRET,
        "CODEMONKEY_DEFAULT_MODEL": "scripted:team",
        "CODEMONKEY_TASK_LEASE_SECONDS": "2",
        "CODEMONKEY_TASK_REAPER_INTERVAL_SECONDS": "0.3",
        "CODEMONKEY_LOG_FORMAT": "text",
    }
    env.pop("CODEMONKEY_REDIS_URL", None)
    data_dir.mkdir(parents=True)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.flows.flow_worker"],
        env=env,
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "worker.log").open("wb"),
        start_new_session=True,
    )


def _blocked_in_qa(database: Database) -> bool:
    with database.session() as session:
        steps = session.scalars(
            select(AgentState.payload)
            .join(Task, Task.id == AgentState.task_id)
            .where(Task.kind == "qa", AgentState.kind == "tool_call")
        ).all()
    return any(BLOCKING_COMMAND in str(p) for p in steps)


def test_a_killed_worker_resumes_elsewhere_without_repeating_side_effects(
    postgres: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, postgres, fake, team(), start_queue=False) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        first = _worker(fake, postgres, tmp_path / "worker-1")
        second = None
        try:
            wait_for(lambda: _blocked_in_qa(postgres), timeout=60)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            second = _worker(fake, postgres, tmp_path / "worker-2")
            wait_for(lambda: w.queue.store.count_unfinished() == 0, timeout=90)
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(20)
        tasks = {t.kind: t for t in w.all_tasks()}
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        assert tasks["qa"].attempts == 2  # resumed on the second worker
        comments = w.comments(issue.number)
        assert sum(c.startswith("### Plan") for c in comments) == 1
        assert sum(c == "Testing now." for c in comments) == 1
        assert len(fake.pulls) == 1
        assert len([r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]) == 1
        with postgres.session() as session:
            recorded_pushes = session.scalars(
                select(SideEffect.key).where(SideEffect.key.like("push:%"))
            ).all()
        assert w.pushes() == len(recorded_pushes)  # every commit pushed exactly once
        # The interrupted command was reported to the model, not run again.
        with postgres.session() as session:
            results = session.scalars(
                select(AgentState.payload).where(
                    AgentState.task_id == tasks["qa"].id, AgentState.kind == "tool_result"
                )
            ).all()
        assert any("interrupted by a restart" in str(r.get("output")) for r in results)
