"""Issue -> plan -> branch -> draft PR -> QA check run -> review, through the real webhook
route, queue, SQL, git and the fake GitHub; then "@codemonkey fix ..." on the PR."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from storage.sql.database import Database
from tests.conftest import REDIS_URL
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, world
from tests.flows.scripts import BROKEN, FAREWELL, team

BRANCH = "codemonkey/1-add-a-farewell"


def _label_issue(fake: FakeGitHub) -> int:
    issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
    fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
    return issue.number


def test_labelled_issue_ends_with_a_reviewed_draft_pr(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, team()) as w:
        number = _label_issue(fake)
        w.run_until_idle()

        kinds = [(t.kind, t.state) for t in w.all_tasks()]
        assert ("issue.triage", "succeeded") in kinds
        assert {s for _, s in kinds} == {"succeeded"}, w.describe()
        comments = w.comments(number)
        assert comments[0].startswith("### Plan") and "Add farewell" in comments[0]
        assert any(c.startswith("### Summary") and "ready for review" in c for c in comments)
        # The branch, read back from the fake's bare repository, holds the scripted edits.
        assert BRANCH in fake.branches(REPO)
        assert w.file_at(BRANCH, "app.py") == FAREWELL
        assert w.file_at(BRANCH, "tests/test_farewell.py") is not None
        assert w.file_at("main", "app.py") != FAREWELL
        log = fake.git(fake.repos[REPO].path, "log", "--format=%s%n%b", f"main..{BRANCH}")
        assert "Add farewell" in log and "Refs #1" in log
        pull = next(p for p in fake.pulls.values() if p.head == BRANCH)
        assert f"Closes #{number}" in (fake.issues[(REPO, pull.number)].body or "")
        assert not pull.draft  # opened as a draft, marked ready after the approval
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert len(runs) == 1 and runs[0].conclusion == "success"
        assert runs[0].head_sha == fake.head_sha(REPO, BRANCH)
        reviews = [r for r in fake.reviews.values() if r.number == pull.number]
        # GitHub refuses approving one's own pull request: the verdict is in the body.
        assert [r.state for r in reviews] == ["COMMENTED"]
        assert reviews[0].body.startswith("**Review verdict: approved.**")

        # A review comment asking for a fix: a new commit on the branch and a thread reply.
        before = fake.head_sha(REPO, BRANCH)
        asked = fake.add_review_comment(
            REPO,
            pull.number,
            "app.py",
            5,
            "@codemonkey fix: rename farewell to goodbye",
            user="alice",
        )
        w.run_until_idle()
        assert fake.head_sha(REPO, BRANCH) != before, w.describe()
        assert "def goodbye(name):" in (w.file_at(BRANCH, "app.py") or "")
        replies = [c for c in fake.review_comments.values() if c.in_reply_to_id == asked.id]
        assert len(replies) == 1 and "Renamed farewell to goodbye" in replies[0].body


def test_a_test_broken_by_the_change_fails_the_check_with_annotations(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, team(app_py=BROKEN)) as w:
        _label_issue(fake)
        w.run_until_idle()
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        # The developer's fixes (two rounds) do not repair it: every check fails.
        assert [r.conclusion for r in runs] == ["failure"] * 3, w.describe()
        annotations = runs[0].annotations
        assert any(
            a["path"] == "tests/test_app.py" and a["start_line"] == 8 and "Hi, Ada!" in a["message"]
            for a in annotations
        ), annotations
        assert "FAILED" in runs[0].output["text"]


def test_the_issue_flow_runs_on_rq_and_redis(
    postgres_database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    redis = Redis.from_url(REDIS_URL)
    try:
        with world(tmp_path, postgres_database, fake, team(), rq_redis=redis) as w:
            number = _label_issue(fake)
            w.run_until_idle()
            assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
            assert w.file_at(BRANCH, "app.py") == FAREWELL
            assert any(c.startswith("### Summary") for c in w.comments(number))
            runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
            assert [r.conclusion for r in runs] == ["success"]
    finally:
        redis.close()
