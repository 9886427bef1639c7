"""Two workers on two machines (two clones, no shared lock) integrate a task each onto the
same issue branch at the same moment: the push that loses is refused by git as not a
fast-forward, and that worker fetches, rebases and pushes again; both changes land.

The workers are the service's own classes (`CloneWorkspaces`, `GitHubBranchRemote`,
`integrate`) over git's smart HTTP to the fake GitHub's real bare repository."""

from __future__ import annotations

import threading
from pathlib import Path

from agents.git.process import GitLayout
from agents.githost import RepoRef
from agents.team.integration import integrate
from agents.team.ports import Workspace
from bot.clone_workspaces import CloneWorkspaces, GitHubBranchRemote, TaskCheckouts
from storage.kv.memory import MemoryLockManager
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, world

BRANCH = "codemonkey/7-two-machines"


class Meeting:
    """Both machines fetch before either publishes (a barrier), so their first pushes race."""

    def __init__(self, remote: GitHubBranchRemote, barrier: threading.Barrier) -> None:
        self._remote = remote
        self._barrier = barrier
        self.published: list[bool] = []

    def fetch(self, layout: GitLayout, branch: str) -> str | None:
        return self._remote.fetch(layout, branch)

    def publish(self, layout: GitLayout, sha: str, branch: str, expected: str | None) -> bool:
        if not self.published:
            self._barrier.wait(timeout=30)
        done = self._remote.publish(layout, sha, branch, expected)
        self.published.append(done)
        return done


def _task_commit(machine: TaskCheckouts, task_id: int, name: str) -> Workspace:
    ws = machine.for_task(BRANCH, "main", task_id)
    (ws.root / name).write_text(f"{name} from task {task_id}\n")
    assert ws.commit(f"Add {name}\n", [name]) is not None
    return ws


def test_two_clones_pushing_to_one_branch_at_once_both_land(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github

    def no_model(*_: object) -> str:
        raise AssertionError("no model call expected")

    with world(tmp_path, database, fake, no_model) as w:
        # The branch exists with one commit, as after an earlier task of the issue.
        fake.commit_files(REPO, {"notes.md": "start\n"}, "Start", branch=BRANCH)
        start = fake.head_sha(REPO, BRANCH)
        assert start is not None
        repo = RepoRef.parse(REPO)
        host = w.host()
        machines = [
            TaskCheckouts(CloneWorkspaces(tmp_path / f"machine-{n}", host, repo, ()), ())
            for n in (1, 2)
        ]
        checkouts = [_task_commit(m, n, f"file-{n}.txt") for n, m in enumerate(machines, 1)]
        barrier = threading.Barrier(2)
        remotes = [Meeting(GitHubBranchRemote(host, repo), barrier) for _ in machines]
        heads: dict[int, str] = {}
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                # Each machine has its own locks: only the remote branch is shared.
                heads[n] = integrate(MemoryLockManager(), remotes[n], checkouts[n], REPO)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        # One first push won; the other was refused, fetched, rebased and pushed again.
        firsts = sorted(r.published[0] for r in remotes)
        assert firsts == [False, True], [r.published for r in remotes]
        assert sorted(len(r.published) for r in remotes) == [1, 2]
        final = fake.head_sha(REPO, BRANCH)
        assert final in heads.values()
        assert w.file_at(BRANCH, "file-1.txt") == "file-1.txt from task 1\n"
        assert w.file_at(BRANCH, "file-2.txt") == "file-2.txt from task 2\n"
        # A straight line on top of what the branch had: no merge commit, nothing lost.
        path = fake.repos[REPO].path
        log = fake.git(path, "log", "--format=%s %p", f"{start}..{BRANCH}").splitlines()
        assert sorted(line.split(" ")[1] for line in log) == ["file-1.txt", "file-2.txt"]
        assert all(len(line.split(" ")) == 3 for line in log), log  # one parent each
        assert fake.git(path, "merge-base", "--is-ancestor", start, BRANCH) == ""
