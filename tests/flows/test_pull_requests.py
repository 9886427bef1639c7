"""Pull request work from ingress: review and QA of a person's pull request, and the
repository index after a push to the default branch."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from storage.sql.models import File, Project
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, turn, world
from tests.flows.scripts import BROKEN


def reviewer(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    assert options.role == "code_reviewer", options.role
    if turn(messages) == 0:
        return call(
            "review",
            body="greet() no longer says Hello.",
            event="REQUEST_CHANGES",
            comments=[
                {
                    "path": "app.py",
                    "line": 2,
                    "body": "Keep Hello.",
                    "suggestion": '    return f"Hello, {name}!"',
                }
            ],
        )
    return call("finish", summary="Requested changes.")


def test_a_persons_pull_request_gets_a_review_and_a_failing_check(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, reviewer) as w:
        fake.commit_files(REPO, {"app.py": BROKEN}, "Say hi", branch="hi")
        pull = fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", emit=True)
        w.run_until_idle()
        kinds = {t.kind: t.state for t in w.all_tasks()}
        assert kinds == {"pr.review": "succeeded", "pr.qa": "succeeded"}, w.describe()
        reviews = [r for r in fake.reviews.values() if r.number == pull.number]
        assert [r.state for r in reviews] == ["CHANGES_REQUESTED"]
        inline = [c for c in fake.review_comments.values() if c.number == pull.number]
        assert len(inline) == 1 and "```suggestion" in inline[0].body
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert len(runs) == 1 and runs[0].conclusion == "failure"
        assert runs[0].head_sha == fake.head_sha(REPO, "hi")
        assert any(a["path"] == "tests/test_app.py" for a in runs[0].annotations)


def test_a_push_to_the_default_branch_indexes_the_repository(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github

    def never(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        raise AssertionError("indexing calls no model")

    with world(tmp_path, database, fake, never) as w:
        fake.commit_files(
            REPO, {"docs/guide.md": "# Guide\n\nCall greet(name).\n"}, "Docs", emit_as="alice"
        )
        w.run_until_idle()
        assert [t.kind for t in w.all_tasks()] == ["repo.index"], w.describe()
        with database.session() as session:
            project = session.scalar(select(Project).where(Project.name == REPO))
            assert project is not None
            paths = set(session.scalars(select(File.path).where(File.project_id == project.id)))
        assert {"app.py", "docs/guide.md", "tests/test_app.py"} <= paths
        hits = w.services.vectors.query(REPO, "code", "greet", n=10)
        assert {h.metadata["path"] for h in hits} >= {"app.py", "docs/guide.md"}
        assert w.services.vectors.count(REPO, "code") >= 3


def test_a_mention_is_answered_in_the_thread_by_the_addressed_role(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github

    def architect(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        assert options.role == "architect" and not options.tools
        assert "should greet() take a title?" in messages[-1].content
        return "Keep greet(name); add a separate formal_greet() if titles are needed."

    with world(tmp_path, database, fake, architect) as w:
        issue = fake.create_issue(REPO, "Titles", "Mr. and Ms.?", user="alice")
        fake.add_comment(
            REPO, issue.number, "@codemonkey architect should greet() take a title?", user="alice"
        )
        w.run_until_idle()
        assert [t.kind for t in w.all_tasks()] == ["mention.answer"], w.describe()
        assert w.comments(issue.number)[-1].startswith("Keep greet(name)")
        assert len(w.model.requests) == 1


def test_the_repository_chooses_how_qa_runs_its_tests(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    # Only the tests/ directory is discovered, verbosely; the file lives on the default branch.
    command = "python3 -m unittest discover -s tests -t . -v"
    files = {**SAMPLE_FILES, ".github/codemonkey.yml": f"test_command: {command}\n"}
    with world(tmp_path, database, fake, reviewer, files=files) as w:
        fake.commit_files(REPO, {"app.py": BROKEN}, "Say hi", branch="hi")
        fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", emit=True)
        w.run_until_idle()
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert len(runs) == 1 and runs[0].conclusion == "failure", w.describe()
        assert command in runs[0].output["summary"]
