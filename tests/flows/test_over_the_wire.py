"""The team on each real provider class over HTTP: the flows of `test_issue_to_pr` and
`test_pull_requests`, with the provider's strict fake playing the scripted team.

Every agent task runs on its own event loop in a worker thread, several tasks per
process: this is the shape that broke with "Event loop is closed" on the second task.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import PROVIDERS, Fake
from tests.flows.harness import REPO, World, world
from tests.flows.scripts import FAREWELL, team

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
