"""`.github/codemonkey.yml` on the default branch decides which events start work: its
trigger label, `auto_review` and `auto_qa`, refreshed by a push that edits it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from storage.sql.models import Project
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, world
from tests.flows.scripts import BROKEN, team
from webhooks.repo_config import CONFIG_PATH

CONFIG = "trigger_label: ai-help\nauto_review: false\n"


def _never(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    raise AssertionError("no model call was expected")


def test_the_configured_label_starts_work_and_the_default_label_does_not(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, CONFIG_PATH: CONFIG}
    with world(tmp_path, database, fake, team(), files=files) as w:
        number = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).").number
        fake.label_issue(REPO, number, "codemonkey", user="alice")
        w.run_until_idle()
        # Nothing had read the config yet: the worker read it and ignored the task.
        [triage] = w.all_tasks()
        assert triage.kind == "issue.triage" and triage.state == "succeeded", w.describe()
        assert (triage.result or {}).get("ignored") == (
            "ignored: label 'codemonkey' is not the trigger label 'ai-help'"
        )
        assert w.comments(number) == []

        fake.label_issue(REPO, number, "ai-help", user="alice")
        w.run_until_idle()
        triages = [t for t in w.all_tasks() if t.kind == "issue.triage"]
        assert len(triages) == 2 and "plan_task" in (triages[1].result or {}), w.describe()
        assert w.comments(number)[0].startswith("### Plan")

        # Now the config is known at ingress: the default label creates no task at all.
        other = fake.create_issue(REPO, "Another", "Something else.").number
        before = len(w.all_tasks())
        fake.label_issue(REPO, other, "codemonkey", user="alice")
        w.run_until_idle()
        assert len(w.all_tasks()) == before, w.describe()


def test_auto_review_false_stops_the_automatic_review_but_not_qa(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, CONFIG_PATH: CONFIG}
    with world(tmp_path, database, fake, _never, files=files) as w:
        fake.commit_files(REPO, {"app.py": BROKEN}, "Say hi", branch="hi")
        first = fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", emit=True)
        w.run_until_idle()
        results = {t.kind: (t.state, t.result or {}) for t in w.all_tasks()}
        assert results["pr.review"] == (
            "succeeded",
            {"ignored": f"ignored: auto_review is false in {CONFIG_PATH}"},
        ), w.describe()
        assert results["pr.qa"][0] == "succeeded"
        assert [r for r in fake.reviews.values() if r.number == first.number] == []
        assert [r.name for r in fake.check_runs.values()] == ["CodeMonkey QA"]

        # Known at ingress from now on: the next pull request gets QA only.
        fake.commit_files(REPO, {"app.py": BROKEN + "\n"}, "Say hi again", branch="hi2")
        before = len(w.all_tasks())
        fake.create_pull(REPO, "hi2", "main", "Say hi again", user="alice", emit=True)
        w.run_until_idle()
        assert [t.kind for t in w.all_tasks()[before:]] == ["pr.qa"], w.describe()


def test_a_push_that_edits_the_config_changes_the_trigger_label_at_ingress(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, _never) as w:
        fake.commit_files(REPO, {CONFIG_PATH: CONFIG}, "Use ai-help", emit_as="alice")
        w.run_until_idle()
        assert [t.kind for t in w.all_tasks()] == ["repo.index"], w.describe()
        with database.session() as session:
            project = session.scalar(select(Project).where(Project.name == REPO))
            assert project is not None
            assert project.config["trigger_label"] == "ai-help"
        number = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).").number
        fake.label_issue(REPO, number, "codemonkey", user="alice")
        w.run_until_idle()
        assert [t.kind for t in w.all_tasks()] == ["repo.index"], w.describe()
