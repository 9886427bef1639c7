"""The finalize step's QA adds tests only where the plan had no QA task; it always runs the
checks."""

from __future__ import annotations

import re
from pathlib import Path

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, turn, world
from tests.flows.scripts import team


def planned_qa_team() -> Responder:
    """The PM plans the function and, after it, a QA task for its tests."""
    base = team()

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if options.role != "project_manager":
            return base(messages, options)
        n = turn(messages)
        if n == 0:
            return base(messages, options)
        if n == 1:
            created = re.search(r"task #(\d+)", messages[-1].content)
            assert created is not None, messages[-1].content
            return call(
                "delegate",
                role="qa",
                title="Test farewell",
                description="Test farewell()",
                paths=["tests/test_farewell.py"],
                depends_on=[int(created.group(1))],
            )
        return call("finish", summary="Two tasks: the function, then its test.")

    return respond


def test_a_planned_qa_task_means_finalize_only_runs_the_checks(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, planned_qa_team()) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        tasks = w.all_tasks()
        [planned] = [t.id for t in tasks if t.kind == "implement" and t.role == "qa"]
        [check] = [t.id for t in tasks if t.kind == "qa"]
        qa_calls = {r.options.task_id for r in w.model.requests if r.options.role == "qa"}
        assert qa_calls == {planned}
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert [r.conclusion for r in runs] == ["success"]
        assert check not in qa_calls


def test_without_a_planned_qa_task_the_qa_agent_gets_the_diff_and_summaries(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, team()) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        [check] = [t.id for t in w.all_tasks() if t.kind == "qa"]
        first = next(r for r in w.model.requests if r.options.role == "qa")
        assert first.options.task_id == check
        text = "\n".join(m.content for m in first.messages)
        assert "+def farewell(name):" in text
        assert "Added farewell()." in text and "Pull request #" in text
