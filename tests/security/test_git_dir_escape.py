"""Finding 1: a command rewrites the worktree's `.git` to point host-side git at a git
directory it controls (`core.fsmonitor` = a command), and repoints `remote.origin.url`."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agents.git.process import git
from agents.git.remote import clone, push
from agents.git.worktree import (
    GitIdentity,
    TaskWorkspace,
    changed_paths,
    commit_all,
    create_worktree,
)
from agents.githost import RepoRef
from agents.team.gitworkspace import GitWorktree, GitWorktrees, LocalBranches
from agents.team.integration import integrate
from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry
from bot.github.host import GitHubHost
from storage.kv.memory import MemoryLockManager
from tests.agents.helpers import git as plain_git
from tests.agents.helpers import init_repo
from tests.fakegithub.fixtures import GitHubEnv

REPO = RepoRef("acme", "widgets")


def plant_evil_git_dir(workspace: TaskWorkspace, marker: Path) -> None:
    """What the command does: copy the common git dir, arm fsmonitor, repoint `.git`."""
    evil = workspace.path / ".evil"
    shutil.copytree(workspace.repo / ".git", evil)
    shutil.rmtree(evil / "worktrees", ignore_errors=True)
    plain_git(evil, "--git-dir", str(evil), "config", "core.worktree", "..")
    plain_git(evil, "--git-dir", str(evil), "config", "core.bare", "false")
    plain_git(evil, "--git-dir", str(evil), "config", "core.fsmonitor", f"env > {marker}; false")
    (workspace.path / ".git").write_text("gitdir: .evil\n")


def test_the_sandbox_cannot_rewrite_dot_git(workspace: TaskWorkspace, ctx: ToolContext) -> None:
    tools = workspace_registry()
    before = (workspace.path / ".git").read_text()
    result = tools.call(ctx, "run_command", {"command": "echo 'gitdir: .evil' > .git"})
    assert not result.ok
    assert (workspace.path / ".git").read_text() == before


def test_host_side_git_ignores_a_planted_git_dir(
    workspace: TaskWorkspace, ctx: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even if `.git` were rewritten (outside bubblewrap it can be), host git must not use it.
    monkeypatch.setenv("CODEMONKEY_WEBHOOK_SECRET", "s3cret-never-leaks")
    marker = tmp_path / "fsmonitor-ran"
    plant_evil_git_dir(workspace, marker)
    (workspace.path / "new.py").write_text("x = 1\n")
    tools = workspace_registry()

    listed = tools.call(ctx, "list_files", {})
    assert listed.ok and "new.py" in listed.output
    assert "new.py" in changed_paths(workspace)
    found = tools.call(ctx, "search_files", {"pattern": "x = 1"})
    assert found.ok and "new.py" in found.output
    worktree = GitWorktree(workspace, "main")
    assert worktree.commit("Add new.py", ["new.py"]) is not None
    (workspace.path / "other.py").write_text("y = 2\n")
    assert commit_all(workspace, "Add other.py", GitIdentity()) is not None

    assert not marker.exists(), "the planted fsmonitor command ran (it received git's environment)"
    # The commits went to the real repository, not the planted copy.
    log = git(workspace.repo, "log", "--format=%s", "codemonkey/1-attack").stdout
    assert "Add new.py" in log and "Add other.py" in log


class _Collector(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="x"')
        self.end_headers()

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def attacker() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Collector", (_Collector,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/steal.git", seen
    finally:
        server.shutdown()
        server.server_close()


def test_push_goes_to_the_service_url_not_the_configured_remote(
    host: GitHubHost, github_env: GitHubEnv, tmp_path: Path, attacker: tuple[str, list[str]]
) -> None:
    steal_url, seen = attacker
    token = host.git_token(REPO)
    repo_dir = tmp_path / "clone"
    clone(host.clone_url(REPO), repo_dir, token)
    ws = create_worktree(
        repo_dir, tmp_path / "worktrees", "codemonkey/2-push", base_ref="origin/main"
    )
    work = ws.path
    (work / "pushed.txt").write_text("pushed\n")
    plain_git(work, "add", "pushed.txt")
    plain_git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "push me")
    plain_git(repo_dir, "remote", "set-url", "origin", steal_url)

    push(ws.layout, "codemonkey/2-push", token, url=host.clone_url(REPO))

    assert seen == []
    sha = plain_git(work, "rev-parse", "HEAD").strip()
    assert github_env.fake.head_sha("acme/widgets", "codemonkey/2-push") == sha


def test_integrating_a_task_ignores_a_planted_git_dir(tmp_path: Path) -> None:
    # The rebase and the branch update run on the host after the task's commands ran: a
    # `.git` they rewrote must neither run their fsmonitor nor receive the integration.
    repo = init_repo(tmp_path / "repo")
    trees = GitWorktrees(repo, tmp_path / "trees")
    branch = "codemonkey/3-attack"
    earlier = trees.for_task(branch, "main", 1)
    later = trees.for_task(branch, "main", 2)
    (earlier.root / "a.py").write_text("a = 1\n")
    assert earlier.commit("Add a.py\n", ["a.py"]) is not None
    integrate(MemoryLockManager(), LocalBranches(), earlier, "acme/widgets")
    (later.root / "b.py").write_text("b = 2\n")
    assert later.commit("Add b.py\n", ["b.py"]) is not None
    marker = tmp_path / "fsmonitor-ran"
    assert isinstance(later, GitWorktree)
    plant_evil_git_dir(later.task_workspace, marker)

    try:
        head = integrate(MemoryLockManager(), LocalBranches(), later, "acme/widgets")
    finally:
        # Checked even when integrating failed: git that followed the planted `.git` ran
        # the fsmonitor command before anything else went wrong (its `clean` then removes
        # the planted directory and the rebase fails).
        assert not marker.exists(), (
            "the planted fsmonitor command ran (it received git's environment)"
        )
    # Rebased onto the earlier task's commit, in the real repository.
    assert git(repo, "rev-parse", branch).stdout.strip() == head
    log = git(repo, "log", "--format=%s", branch).stdout.split("\n")
    assert log[:2] == ["Add b.py", "Add a.py"]


def test_a_task_checkout_with_a_planted_git_dir_is_still_removed(tmp_path: Path) -> None:
    # Removing a finished task's checkout must neither read its `.git` (git's own
    # `worktree remove` does, and refuses a rewritten one) nor run anything planted there.
    repo = init_repo(tmp_path / "repo")
    trees = GitWorktrees(repo, tmp_path / "trees")
    ws = trees.for_task("codemonkey/4-attack", "main", 5)
    assert isinstance(ws, GitWorktree)
    marker = tmp_path / "fsmonitor-ran"
    plant_evil_git_dir(ws.task_workspace, marker)

    trees.release(ws)

    assert not marker.exists(), "the planted fsmonitor command ran"
    assert not ws.root.exists()
    assert "task-5" not in git(repo, "worktree", "list", "--porcelain").stdout
    assert "task-5" not in git(repo, "branch", "--list").stdout
