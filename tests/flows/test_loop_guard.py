"""A pull request whose CI keeps failing after each of the bot's fixes does not get fixed
forever: past the hourly cap a `check.fix` task ends without pushing or replying.

The tasks are the ones ingress makes from `check_run.completed` (a CI app's failure on a
bot branch, its sender allowed by the trust config), run by the real queue and flows."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from storage.tasks import NewTask, create_task
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, turn, world
from webhooks import intents as k

BRANCH = "codemonkey/9-flaky"


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
    with world(tmp_path, database, fake, devops) as w:
        fake.commit_files(REPO, {"ci.txt": "start\n"}, "Start", branch=BRANCH)
        pull = fake.create_pull(REPO, BRANCH, "main", "Flaky", user="alice")
        for n in range(4):
            with database.session() as session:
                task, _ = create_task(
                    session,
                    NewTask(
                        kind=k.CHECK_FIX,
                        role=k.DEFAULT_ROLES[k.CHECK_FIX],
                        title=f"Fix failing check 'CI' ({n})",
                        payload={
                            "repo": REPO,
                            "installation_id": w.installation_id,
                            "author": "alice",
                            "author_type": "User",
                            "number": pull.number,
                            "check_name": "CI",
                            "head_ref": BRANCH,
                            "base_ref": "main",
                            "head_repo": REPO,
                            "is_pull_request": True,
                        },
                        group_key=k.issue_group(REPO, pull.number, is_pull_request=True),
                        idempotency_key=f"check-fix-{n}",
                    ),
                )
                task_id = task.id
            w.queue.enqueue([task_id])
            w.run_until_idle()

        fixes = [t for t in w.all_tasks() if t.kind == k.CHECK_FIX]
        assert [t.state for t in fixes] == ["succeeded"] * 4, w.describe()
        skipped = [t for t in fixes if (t.result or {}).get("skipped")]
        assert [t.id for t in skipped] == [fixes[3].id]
        # Three fixes pushed and replied; the fourth did neither.
        log = fake.git(fake.repos[REPO].path, "log", "--format=%s", f"main..{BRANCH}")
        assert log.split("\n").count(f"Address feedback on #{pull.number}") == 3, log
        assert len(w.comments(pull.number)) == 3
