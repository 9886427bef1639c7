"""A pull request whose CI keeps failing after each of the bot's fixes does not get fixed
forever: past the hourly cap a `check.fix` task ends without pushing or replying.

Each fix is started the way GitHub starts it: a CI app's `check_run.completed` webhook
(failure, on the bot's branch, listing the pull request) through the signed webhook
route and routing, its sender (github-actions[bot]) allowed by the repository's trust
config; the real queue and flows run the tasks."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import ACTIONS_BOT, FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, turn, world
from webhooks import intents as k
from webhooks.repo_config import CONFIG_PATH

BRANCH = "codemonkey/9-flaky"
CONFIG = f'trust:\n  allowed_bots: ["{ACTIONS_BOT}"]\n'


def devops(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    assert options.role == "devops", options.role
    if turn(messages) == 0:
        ATTEMPTS.append(1)
        return call("write_file", path="ci.txt", content=f"attempt {len(ATTEMPTS)}\n")
    return call("finish", summary="Adjusted the CI input.")


ATTEMPTS: list[int] = []


def test_automatic_fixes_of_one_pull_request_are_capped(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    ATTEMPTS.clear()
    files = {**SAMPLE_FILES, CONFIG_PATH: CONFIG}
    with world(tmp_path, database, fake, devops, files=files) as w:
        fake.commit_files(REPO, {"ci.txt": "start\n"}, "Start", branch=BRANCH)
        pull = fake.create_pull(REPO, BRANCH, "main", "Flaky", user="alice")
        checked: list[str] = []
        for _ in range(4):
            # The CI runs on the branch's head (each fix moved it) and fails again.
            sha = fake.head_sha(REPO, BRANCH)
            assert sha is not None and sha not in checked
            checked.append(sha)
            fake.complete_check_run(REPO, sha, "CI", "failure", summary="1 failed")
            w.run_until_idle()

        assert [t.kind for t in w.all_tasks()] == [k.CHECK_FIX] * 4, w.describe()
        fixes = w.all_tasks()
        assert [t.state for t in fixes] == ["succeeded"] * 4, w.describe()
        assert {(t.payload["number"], t.payload["head_ref"]) for t in fixes} == {
            (pull.number, BRANCH)
        }
        assert [t.payload["head_sha"] for t in fixes] == checked
        skipped = [t for t in fixes if (t.result or {}).get("skipped")]
        assert [t.id for t in skipped] == [fixes[3].id]
        # Three fixes pushed and replied; the fourth did neither.
        log = fake.git(fake.repos[REPO].path, "log", "--format=%s", f"main..{BRANCH}")
        assert log.split("\n").count(f"Address feedback on #{pull.number}") == 3, log
        assert len(ATTEMPTS) == 3
        assert len(w.comments(pull.number)) == 3
