"""Pull requests from forks: reviewed and checked on `refs/pull/N/head` at the PR's head
commit; a requested fix pushed to the fork only when it allows edits from maintainers,
otherwise offered as a patch in the thread. Nothing is ever pushed to `origin`."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, World, turn, world
from tests.flows.scripts import BROKEN, FAREWELL

FORK = "alice/widgets"


def reviewer_and_fixer(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    n = turn(messages)
    if options.role == "code_reviewer":
        if n == 0:
            return call(
                "review",
                body="greet() no longer says Hello.",
                event="REQUEST_CHANGES",
                comments=[{"path": "app.py", "line": 2, "body": "Keep Hello."}],
            )
        return call("finish", summary="Requested changes.")
    if options.role == "backend_developer":
        return [
            call("write_file", path="app.py", content=FAREWELL),
            call("finish", summary="Restored Hello in greet()."),
        ][min(n, 1)]
    raise AssertionError(f"unexpected model call for {options.role}")


def _fork_pull(fake: FakeGitHub, *, maintainer_can_modify: bool, emit: bool) -> tuple[int, str]:
    fake.create_fork(REPO, "alice")
    head = fake.commit_files(FORK, {"app.py": BROKEN}, "Say hi", branch="hi")
    pull = fake.create_pull(
        REPO,
        "hi",
        "main",
        "Say hi",
        user="alice",
        head_repo=FORK,
        maintainer_can_modify=maintainer_can_modify,
        emit=emit,
    )
    return pull.number, head


def _branches(fake: FakeGitHub) -> dict[str, dict[str, str | None]]:
    return {
        name: {b: fake.head_sha(name, f"refs/heads/{b}") for b in fake.branches(name)}
        for name in (REPO, FORK)
    }


def test_a_fork_pull_request_is_reviewed_and_checked_on_its_head_commit(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, reviewer_and_fixer) as w:
        fake.create_fork(REPO, "alice")
        head = fake.commit_files(FORK, {"app.py": BROKEN}, "Say hi", branch="hi")
        assert "hi" not in fake.branches(REPO)  # the head branch is only in the fork
        before = _branches(fake)
        pull = fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", head_repo=FORK)
        fake.emit("pull_request", "opened", REPO, "alice", pull=pull)
        w.run_until_idle()
        kinds = {t.kind: t.state for t in w.all_tasks()}
        assert kinds == {"pr.review": "succeeded", "pr.qa": "succeeded"}, w.describe()

        reviews = [r for r in fake.reviews.values() if r.number == pull.number]
        assert [(r.state, r.commit_id) for r in reviews] == [("CHANGES_REQUESTED", head)]
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        # The head's tests fail (greet() says Hi); the base's would pass.
        assert [(r.head_sha, r.conclusion) for r in runs] == [(head, "failure")]
        assert w.pushes() == 0
        assert _branches(fake) == before

        # The author force-pushes a new head (not a descendant): the next check is on it.
        fake.commit_files(FORK, {"app.py": FAREWELL}, "Redo", branch="redo", base="main")
        redone = fake.head_sha(FORK, "refs/heads/redo")
        assert redone is not None
        fake.git(fake.repos[FORK].path, "update-ref", "refs/heads/hi", redone)
        fake.sync_pull_ref(pull)
        fake.emit(
            "pull_request", "synchronize", REPO, "alice", pull=pull, before=head, after=redone
        )
        w.run_until_idle()
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert [(r.head_sha, r.conclusion) for r in runs][1:] == [(redone, "success")], w.describe()
        assert w.pushes() == 0


def _ask_for_a_fix(w: World, fake: FakeGitHub, number: int) -> None:
    fake.add_comment(REPO, number, "@codemonkey fix: keep Hello in greet()", user="alice")
    w.run_until_idle()


def test_a_fix_on_a_fork_that_refuses_maintainer_edits_comes_as_a_patch(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, reviewer_and_fixer) as w:
        number, head = _fork_pull(fake, maintainer_can_modify=False, emit=False)
        before = _branches(fake)
        _ask_for_a_fix(w, fake, number)
        assert [t.state for t in w.all_tasks()] == ["succeeded"], w.describe()
        assert w.pushes() == 0
        assert _branches(fake) == before
        [reply] = [c for c in w.comments(number) if not c.startswith("@codemonkey")]
        assert "does not allow edits from maintainers" in reply
        assert "```diff" in reply and '+    return f"Hello, {name}!"' in reply
        assert fake.pull_head_sha(fake.pulls[(REPO, number)]) == head


def test_a_fix_on_a_fork_that_allows_maintainer_edits_is_pushed_to_the_fork(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, reviewer_and_fixer) as w:
        number, head = _fork_pull(fake, maintainer_can_modify=True, emit=False)
        origin_before = _branches(fake)[REPO]
        _ask_for_a_fix(w, fake, number)
        states = [t.state for t in w.all_tasks()]
        assert states[0] == "succeeded", w.describe()
        new_head = fake.head_sha(FORK, "refs/heads/hi")
        assert new_head != head
        assert fake.git(fake.repos[FORK].path, "rev-parse", f"{new_head}^").strip() == head
        blob = fake.read_blob(FORK, "refs/heads/hi", "app.py")
        assert blob is not None and b"Hello, {name}!" in blob[0]
        assert _branches(fake)[REPO] == origin_before  # nothing pushed to origin
        replies = [c for c in w.comments(number) if c.startswith("Pushed ")]
        assert len(replies) == 1 and f"to {FORK}:hi" in replies[0]
