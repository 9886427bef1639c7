"""Declared paths are the plan's intent and the lock hint, not a wall: an edit outside them
takes that path's lock at edit time (or reports the task holding it), and the pull request
lists the extra paths."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, turn, world
from tests.flows.scripts import FAREWELL, team

BRANCH = "codemonkey/1-add-a-farewell"
README = "# widgets\n\nfarewell(name) says bye.\n"


def developer_also_edits_readme(*, busy: list[str] | None = None) -> Responder:
    base = team()

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if options.role != "backend_developer":
            return base(messages, options)
        return [
            call("write_file", path="app.py", content=FAREWELL),
            call("write_file", path="README.md", content=README),
            call("finish", summary="Added farewell() and documented it."),
        ][min(turn(messages), 2)]

    return respond


def test_an_edit_outside_the_declared_paths_is_locked_and_listed(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, developer_also_edits_readme()) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        assert w.file_at(BRANCH, "README.md") == README
        developer = [r for r in w.model.requests if r.options.role == "backend_developer"]
        readme_result = developer[2].messages[-1].content
        assert "Outside the paths this task declared: ['README.md']" in readme_result
        pull = next(p for p in fake.pulls.values() if p.head == BRANCH)
        body = fake.issues[(REPO, pull.number)].body or ""
        assert "- Add farewell (backend_developer); also edited README.md" in body


def test_an_edit_of_a_path_another_task_holds_names_that_task(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, developer_also_edits_readme()) as w:
        # Another worker holds README.md's lock (a task of another issue of the repository).
        held = w.services.kv.locks.acquire(
            f"path:{REPO}:README.md", lease_seconds=60, wait_seconds=0
        )
        assert held is not None
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle(timeout=90)
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        developer = [r for r in w.model.requests if r.options.role == "backend_developer"]
        refused = developer[2].messages[-1].content
        assert "['README.md'] are being edited by another task" in refused
        assert w.file_at(BRANCH, "README.md") == "# widgets\n"
        w.services.kv.locks.release(held)
