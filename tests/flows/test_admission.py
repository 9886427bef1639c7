"""Trust and config are decided once per trigger, in the worker, before any work: the
issue's own tasks carry that admission, read no config and ask no permission, and a team
task without an admission does not run."""

from __future__ import annotations

from pathlib import Path

from agents.githost import RepoRef
from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from agents.team.issue_flow import start_issue
from storage.sql.database import Database
from storage.sql.models import Task
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, World, world
from tests.flows.scripts import team
from webhooks.repo_config import CONFIG_PATH

CONFIG = "budgets:\n  max_steps: 40\n"


def _reads(w: World, path_end: str) -> int:
    return sum(1 for r in w.fake.requests if r.method == "GET" and r.path.endswith(path_end))


def test_an_issue_is_admitted_once_and_its_tasks_inherit_the_admission(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, CONFIG_PATH: CONFIG}
    with world(tmp_path, database, fake, team(), files=files) as w:
        config_reads, permission_reads = _reads(w, CONFIG_PATH), _reads(w, "/permission")
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()

        tasks = w.all_tasks()
        assert {t.state for t in tasks} == {"succeeded"}, w.describe()
        [triage] = [t for t in tasks if t.kind == "issue.triage"]
        admitted = (triage.result or {})["admitted"]
        assert admitted["config_ref"] == "main" and len(admitted["config_sha"]) == 40
        assert "alice has" in admitted["reason"]
        team_tasks = [t for t in tasks if "." not in t.kind]
        assert {t.kind for t in team_tasks} >= {"plan", "implement", "finalize", "review"}
        for task in team_tasks:
            carried = task.payload["admission"]
            assert carried["task"] == triage.id, (task.kind, carried)
            assert carried["config_sha"] == admitted["config_sha"]
            assert carried["config"] == {"budgets": {"max_steps": 40}}
        # Only the trigger read the file and asked for the author's permission.
        ingress = [t for t in tasks if "." in t.kind and "admitted" in (t.result or {})]
        assert _reads(w, CONFIG_PATH) - config_reads == len(ingress), w.describe()
        assert _reads(w, "/permission") - permission_reads == len(ingress), w.describe()


def _no_model(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    raise AssertionError("a task that was never admitted must not call a model")


def test_a_team_task_without_an_admission_does_not_run(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, _no_model) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        # A plan task no admission started (this release always gives one).
        plan = start_issue(
            database,
            repo=RepoRef.parse(REPO),
            number=issue.number,
            title="Add a farewell",
            body="We need farewell(name).",
            base="main",
            installation_id=w.installation_id,
        )
        w.queue.enqueue([plan])
        w.run_until_idle()

        [task] = [t for t in w.all_tasks() if t.id == plan]
        assert task.state == "failed" and task.attempts == 1, w.describe()
        assert "carries no admission" in (task.error or "")
        assert "comment /plan" in (task.error or "")


def test_a_team_task_an_earlier_release_queued_still_runs_after_an_upgrade(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, CONFIG_PATH: CONFIG}
    with world(tmp_path, database, fake, team(), files=files) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        plan = start_issue(
            database,
            repo=RepoRef.parse(REPO),
            number=issue.number,
            title="Add a farewell",
            body="We need farewell(name).",
            base="main",
            installation_id=w.installation_id,
        )
        # As the release before admissions wrote it: version 3, no admission.
        with database.session() as session:
            row = session.get(Task, plan)
            assert row is not None
            row.payload = {**row.payload, "v": 3}
        w.queue.enqueue([plan])
        w.run_until_idle()

        tasks = w.all_tasks()
        assert {t.state for t in tasks} == {"succeeded"}, w.describe()
        [first] = [t for t in tasks if t.id == plan]
        # It ran with the config as it is now, and its issue's later tasks carry that.
        later = [t for t in tasks if t.id != plan]
        assert later and all(
            t.payload["admission"]["config"] == {"budgets": {"max_steps": 40}} for t in later
        ), w.describe()
        # Admitted once, in the worker, and stored as the current version.
        assert first.payload["v"] == 4
        assert "earlier release" in first.payload["admission"]["reason"]
