"""The team on each real provider class over HTTP: the flows of `test_issue_to_pr` and
`test_pull_requests`, with the provider's strict fake playing the scripted team.

Every agent task runs on its own event loop in a worker thread, several tasks per
process: this is the shape that broke with "Event loop is closed" on the second task.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.providers import errors
from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import PROVIDERS, Fake
from tests.flows.harness import REPO, World, turn, world
from tests.flows.scripts import BROKEN, FAREWELL, team
from tests.flows.test_pull_requests import reviewer

BRANCH = "codemonkey/1-add-a-farewell"


@pytest.fixture(params=PROVIDERS)
def wire(request: pytest.FixtureRequest, live_fakes: dict[str, Fake]) -> Iterator[Fake]:
    chosen = live_fakes[request.param]
    chosen.script.reset()
    yield chosen
    chosen.script.reset()


def _no_surprises(w: World) -> None:
    # First attempt: a task that failed and was retried by the queue hides a broken client.
    retried = [(t.id, t.kind, t.error) for t in w.all_tasks() if t.attempts != 1]
    assert retried == [], retried
    problems = getattr(w.model, "problems", [])
    assert problems == [], problems
    rejected = [r.rejected for r in w_fake(w).script.requests if r.rejected]
    assert rejected == [], rejected


def w_fake(w: World) -> Fake:
    assert w.wire is not None
    return w.wire


def test_issue_to_reviewed_pr_and_a_fix_round(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, team(), wire=wire) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()

        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        _no_surprises(w)
        # Every role's model call went over HTTP to the fake, one conversation per task.
        roles = {r.options.role for r in w.model.requests}
        assert {"project_manager", "backend_developer", "qa", "code_reviewer"} <= roles
        assert len(wire.script.accepted) == len(w.model.requests)
        assert w.file_at(BRANCH, "app.py") == FAREWELL
        comments = w.comments(issue.number)
        assert comments[0].startswith("### Plan")
        assert any(c.startswith("### Summary") and "ready for review" in c for c in comments)
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert [r.conclusion for r in runs] == ["success"]
        pull = next(p for p in fake.pulls.values() if p.head == BRANCH)
        assert [r.state for r in fake.reviews.values() if r.number == pull.number] == ["COMMENTED"]

        # A fix asked for in a review comment: a new commit and one thread reply.
        asked = fake.add_review_comment(
            REPO,
            pull.number,
            "app.py",
            5,
            "@codemonkey fix: rename farewell to goodbye",
            user="alice",
        )
        w.run_until_idle()
        assert "def goodbye(name):" in (w.file_at(BRANCH, "app.py") or ""), w.describe()
        replies = [c for c in fake.review_comments.values() if c.in_reply_to_id == asked.id]
        assert len(replies) == 1
        _no_surprises(w)


def test_a_persons_pull_request_and_a_mention(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    fake = fake_github

    def script(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if options.role == "architect":
            assert "should greet() take a title?" in messages[-1].content
            return "Keep greet(name); add formal_greet() if titles are needed."
        return reviewer(messages, options)

    with world(tmp_path, database, fake, script, wire=wire) as w:
        fake.commit_files(REPO, {"app.py": BROKEN}, "Say hi", branch="hi")
        pull = fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", emit=True)
        issue = fake.create_issue(REPO, "Titles", "Mr. and Ms.?", user="alice")
        fake.add_comment(
            REPO, issue.number, "@codemonkey architect should greet() take a title?", user="alice"
        )
        w.run_until_idle()
        kinds = {t.kind: t.state for t in w.all_tasks()}
        assert kinds == {
            "pr.review": "succeeded",
            "pr.qa": "succeeded",
            "mention.answer": "succeeded",
        }, w.describe()
        _no_surprises(w)
        reviews = [r for r in fake.reviews.values() if r.number == pull.number]
        assert [r.state for r in reviews] == ["CHANGES_REQUESTED"]
        inline = [c for c in fake.review_comments.values() if c.number == pull.number]
        assert len(inline) == 1 and "```suggestion" in inline[0].body
        assert w.comments(issue.number)[-1].startswith("Keep greet(name)")


def asking_team() -> Responder:
    """The developer asks the architect before writing (`ask`: a model call made from
    inside a tool, while the asking agent's own call is in flight on its loop)."""
    base = team()

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if options.role == "architect":
            return "Put farewell() next to greet() in app.py."
        if options.role == "backend_developer":
            return [
                call("ask", role="architect", question="Where should farewell() live?"),
                call("write_file", path="app.py", content=FAREWELL),
                call("finish", summary="Added farewell() where the architect said."),
            ][min(turn(messages), 2)]
        return base(messages, options)

    return respond


def test_ask_answers_over_the_wire(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, asking_team(), wire=wire) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        _no_surprises(w)
        developer = [r for r in w.model.requests if r.options.role == "backend_developer"]
        answers = [m.content for r in developer for m in r.messages if m.role == "tool"]
        assert any("Put farewell() next to greet()" in a for a in answers), answers


def failing_developer_team() -> Responder:
    """The PM plans a developer task and a QA task that needs it; every model call of the
    developer fails with a 500, through the provider's retries and the queue's."""
    base = team()

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if options.role == "project_manager":
            n = turn(messages)
            if n == 0:
                return call(
                    "delegate",
                    role="backend_developer",
                    title="Add farewell",
                    description="Add farewell(name) to app.py",
                    paths=["app.py"],
                )
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
        if options.role == "backend_developer":
            return errors.ServerError("upstream exploded", provider="fake", status=500)
        return base(messages, options)

    return respond


def test_a_task_that_fails_for_good_is_reported_once_with_what_was_not_done(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, failing_developer_team(), wire=wire) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        states = [(t.kind, t.role, t.state) for t in w.all_tasks()][1:]
        assert states == [
            ("plan", "project_manager", "succeeded"),
            ("implement", "backend_developer", "failed"),
            ("implement", "qa", "cancelled"),
            ("finalize", "project_manager", "cancelled"),
        ], w.describe()
        implement = w.all_tasks()[2]
        # Retried by the queue (each attempt after the provider's own retries).
        assert implement.attempts == implement.max_attempts > 1
        reports = [c for c in w.comments(issue.number) if "failed" in c]
        assert len(reports) == 1, w.comments(issue.number)
        report = reports[0]
        assert f"### Task #{implement.id} failed" in report
        assert "Add farewell" in report and "500" in report
        assert "Not done:" in report and "Test farewell" in report
        assert f"cancelled, it needed #{implement.id}" in report
        assert "Traceback" not in report
        assert not any(c.startswith("### Summary") for c in w.comments(issue.number))
        # The failed task's checkout (made for its first attempt, kept for its retries)
        # went with it: nothing will continue there.
        worktrees = tmp_path / "data" / "workspaces" / "acme" / "widgets" / "worktrees"
        assert worktrees.is_dir()
        left = [p.name for p in worktrees.iterdir() if ".task-" in p.name]
        assert left == [], left
