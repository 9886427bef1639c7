"""A failing QA check goes back to the developer as a fix task with the failing output,
before review; the reviewer sees the final outcome and the summary says how it got there.

Over the wire: each request is the provider's real client talking HTTP to its strict fake.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake
from tests.flows.harness import REPO, turn, world
from tests.flows.scripts import BROKEN, FAREWELL, team

BRANCH = "codemonkey/1-add-a-farewell"
FIX_TITLE = "Fix the failing tests"


@pytest.fixture(params=["openai", "anthropic"])
def wire(request: pytest.FixtureRequest, live_fakes: dict[str, Fake]) -> Iterator[Fake]:
    chosen = live_fakes[request.param]
    chosen.script.reset()
    yield chosen
    chosen.script.reset()


def breaks_then_fixes(*, fixes: bool = True) -> Responder:
    """The developer's first change breaks greet()'s test; its fix restores greet()."""
    base = team()

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        if options.role != "backend_developer":
            return base(messages, options)
        fixing = FIX_TITLE in messages[1].content
        content = FAREWELL if fixing and fixes else BROKEN
        summary = "Restored greet()'s greeting." if fixing else "Added farewell()."
        return [
            call("write_file", path="app.py", content=content),
            call("finish", summary=summary),
        ][min(turn(messages), 1)]

    return respond


def _label_issue(fake: FakeGitHub) -> int:
    issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
    fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
    return issue.number


def test_a_failing_check_is_fixed_in_one_round_before_review(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, breaks_then_fixes(), wire=wire) as w:
        number = _label_issue(fake)
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()

        # The fix task's brief carries the failing check: command, failing test, output.
        developer = [r for r in w.model.requests if r.options.role == "backend_developer"]
        briefs = [r.messages[1].content for r in developer if turn(list(r.messages)) == 0]
        assert len(briefs) == 2 and FIX_TITLE in briefs[1], briefs
        fix = briefs[1]
        assert "`python3 -m unittest discover -v` exited with a failure" in fix
        assert "tests.test_app.GreetTest.test_greet" in fix
        assert "tests/test_app.py:8: AssertionError: 'Hi, Ada!' != 'Hello, Ada!'" in fix
        assert "FAILED (failures=1)" in fix
        assert FIX_TITLE not in briefs[0]

        # Two check runs: the first change fails, the fixed head passes.
        runs = sorted(
            (r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"), key=lambda r: r.id
        )
        assert [r.conclusion for r in runs] == ["failure", "success"]
        head = fake.head_sha(REPO, BRANCH)
        assert head is not None
        assert runs[-1].head_sha == head and runs[0].head_sha != head
        assert w.file_at(BRANCH, "app.py") == FAREWELL

        # The review happens after the passing check, and sees it.
        pull = next(p for p in fake.pulls.values() if p.head == BRANCH)
        [review] = [r for r in fake.reviews.values() if r.number == pull.number]
        assert review.id > runs[-1].id
        reviewer = next(r for r in w.model.requests if r.options.role == "code_reviewer")
        seen = "\n".join(m.content for m in reviewer.messages)
        assert f"passed on {head[:7]}, after 1 round(s) of fixes" in seen
        assert "FAILED" not in seen.split("QA check:")[1]
        kinds = [t.kind for t in w.all_tasks() if t.kind in ("qa", "fix", "review")]
        assert kinds == ["qa", "fix", "qa", "review"], w.describe()

        summary = next(c for c in w.comments(number) if c.startswith("### Summary"))
        assert "QA: passed after 1 fix round." in summary and "ready for review" in summary


def test_a_check_that_stays_red_is_reported_as_failing_after_the_rounds(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, breaks_then_fixes(fixes=False), wire=wire) as w:
        number = _label_issue(fake)
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        rounds = 2  # TeamDeps.review_rounds
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert [r.conclusion for r in runs] == ["failure"] * (rounds + 1)
        kinds = [t.kind for t in w.all_tasks() if t.kind in ("qa", "fix", "review")]
        assert kinds == ["qa", "fix", "qa", "fix", "qa", "review"], w.describe()
        reviewer = next(r for r in w.model.requests if r.options.role == "code_reviewer")
        seen = "\n".join(m.content for m in reviewer.messages)
        assert "FAILED on" in seen and "after 2 round(s) of fixes" in seen
        assert "'Hi, Ada!' != 'Hello, Ada!'" in seen
        summary = next(c for c in w.comments(number) if c.startswith("### Summary"))
        assert "QA: failing after 2 fix rounds." in summary
