"""A task's checkout lives as long as the task may still continue in it: kept between its
attempts (a retry continues where the last one stopped), removed, with its task branch,
once the task has failed for good.

The task is a `check.fix` started by a CI app's `check_run.completed` webhook; its model
call fails on every attempt after the first edit, so the queue retries it until it gives
up."""

from __future__ import annotations

from pathlib import Path

from agents.git.process import git
from agents.providers import errors
from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import ACTIONS_BOT, FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, turn, world
from webhooks import intents as k
from webhooks.repo_config import CONFIG_PATH

BRANCH = "codemonkey/9-flaky"
CONFIG = f'trust:\n  allowed_bots: ["{ACTIONS_BOT}"]\n'


def test_a_task_that_fails_for_good_leaves_no_checkout(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    seen: list[bool] = []  # at each failing call: the checkout holds the first edit
    worktrees = tmp_path / "data" / "workspaces" / "acme" / "widgets" / "worktrees"

    def devops(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        assert options.role == "devops", options.role
        if turn(messages) == 0:
            return call("write_file", path="ci.txt", content="half-made fix\n")
        checkout = worktrees / f"{BRANCH.replace('/', '-')}.task-{options.task_id}"
        seen.append((checkout / "ci.txt").is_file())
        return errors.InvalidRequestError("the model is unavailable", provider="scripted")

    files = {**SAMPLE_FILES, CONFIG_PATH: CONFIG}
    with world(tmp_path, database, fake, devops, files=files) as w:
        fake.commit_files(REPO, {"ci.txt": "start\n"}, "Start", branch=BRANCH)
        fake.create_pull(REPO, BRANCH, "main", "Flaky", user="alice")
        sha = fake.head_sha(REPO, BRANCH)
        assert sha is not None
        fake.complete_check_run(REPO, sha, "CI", "failure")
        w.run_until_idle()

        [fix] = w.all_tasks()
        assert (fix.kind, fix.state, fix.attempts) == (k.CHECK_FIX, "failed", 3), w.describe()
        # Each retry found the checkout its earlier attempt left ...
        assert seen == [True, True, True]
        # ... and once the task had failed for good, nothing of it was left.
        assert list(worktrees.iterdir()) == []
        clone = worktrees.parent / "clone"
        listed = git(clone, "worktree", "list", "--porcelain").stdout
        assert ".task-" not in listed, listed
        branches = git(clone, "for-each-ref", "--format=%(refname:short)", "refs/heads").stdout
        assert ".task-" not in branches, branches
        assert fake.head_sha(REPO, BRANCH) == sha  # nothing was pushed
