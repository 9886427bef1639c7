"""Clone, worktree, commit and push against the fake's real git server, token kept out of .git."""

from __future__ import annotations

import base64
from pathlib import Path

import git
import pytest

from agents.git.process import GitError
from agents.git.remote import auth_env, clone, fetch, push
from agents.git.worktree import GitIdentity, commit_all, create_worktree, remove_worktree
from agents.githost import RepoRef
from bot.github.host import GitHubHost
from tests.fakegithub.fixtures import GitHubEnv

REPO = RepoRef("acme", "widgets")
BOT = GitIdentity("codemonkey[bot]", "codemonkey[bot]@users.noreply.github.com")


def _all_git_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_round_trip_clone_branch_commit_push(
    host: GitHubHost, github_env: GitHubEnv, tmp_path: Path
) -> None:
    token = host.git_token(REPO)
    repo_dir = tmp_path / "clone"
    clone(host.clone_url(REPO), repo_dir, token)
    assert (repo_dir / "src" / "app.py").read_text().startswith("def main()")

    work = create_worktree(
        repo_dir, tmp_path / "worktrees", "codemonkey/1-greeting", base_ref="origin/main"
    )
    (work.path / "src" / "greet.py").write_text("GREETING = 'hello'\n")
    sha = commit_all(work, "Add a greeting", BOT)
    assert sha is not None
    assert commit_all(work, "Nothing", BOT) is None
    push(work.layout, "codemonkey/1-greeting", token, url=host.clone_url(REPO))

    assert github_env.fake.head_sha("acme/widgets", "codemonkey/1-greeting") == sha
    blob = github_env.fake.read_blob("acme/widgets", "codemonkey/1-greeting", "src/greet.py")
    assert blob is not None and blob[0] == b"GREETING = 'hello'\n"
    pr = host.open_pull_request(
        REPO, head="codemonkey/1-greeting", base="main", title="Greeting", body="", draft=True
    )
    assert host.pull_request(REPO, pr.number).head == "codemonkey/1-greeting"

    # The token is nowhere on disk: not in config, remotes, reflogs, FETCH_HEAD, anything.
    repo = git.Repo(repo_dir)
    assert [r.url for r in repo.remotes] == [host.clone_url(REPO)]
    for path in _all_git_files(repo_dir / ".git"):
        assert token.encode() not in path.read_bytes(), path
    encoded = base64.b64encode(f"x-access-token:{token}".encode())
    for path in _all_git_files(repo_dir / ".git"):
        assert encoded not in path.read_bytes(), path
    assert "extraheader" not in (repo_dir / ".git" / "config").read_text()

    remove_worktree(work, delete_branch=True)
    assert not work.path.exists()
    assert "codemonkey/1-greeting" not in [h.name for h in repo.heads]


def test_fetch_then_worktree_on_existing_remote_branch(
    host: GitHubHost, github_env: GitHubEnv, tmp_path: Path
) -> None:
    token = host.git_token(REPO)
    repo_dir = tmp_path / "clone"
    clone(host.clone_url(REPO), repo_dir, token)
    github_env.fake.commit_files(
        "acme/widgets", {"NOTES.md": "pushed by a human\n"}, "Notes", branch="main"
    )
    main = github_env.fake.head_sha("acme/widgets", "main")
    assert main is not None
    github_env.fake.git(github_env.repo.path, "update-ref", "refs/heads/fix", main)
    fetch(repo_dir, token, url=host.clone_url(REPO))
    work = create_worktree(repo_dir, tmp_path / "worktrees", "fix", base_ref="origin/fix")
    assert (work.path / "NOTES.md").read_text() == "pushed by a human\n"
    with pytest.raises(GitError, match="fetch it or pick another base"):
        create_worktree(repo_dir, tmp_path / "worktrees", "other", base_ref="origin/nope")


def test_push_with_a_bad_token_fails_clearly(
    host: GitHubHost, github_env: GitHubEnv, tmp_path: Path
) -> None:
    token = host.git_token(REPO)
    repo_dir = tmp_path / "clone"
    clone(host.clone_url(REPO), repo_dir, token)
    work = create_worktree(repo_dir, tmp_path / "worktrees", "feature", base_ref="origin/main")
    (work.path / "x.txt").write_text("x\n")
    commit_all(work, "x", BOT)
    with pytest.raises(GitError, match="push of feature failed"):
        push(work.layout, "feature", "ghs_not_a_token", url=host.clone_url(REPO))
    assert github_env.fake.head_sha("acme/widgets", "refs/heads/feature") is None
    with pytest.raises(GitError, match="clone of"):
        clone(host.clone_url(REPO), tmp_path / "denied", "ghs_not_a_token")


def test_auth_env_refuses_credentials_in_urls() -> None:
    with pytest.raises(GitError, match="must not carry credentials"):
        auth_env("https://user:pw@github.com/a/b.git", "t", base={})
    with pytest.raises(GitError, match="HTTP"):
        auth_env("git@github.com:a/b.git", "t", base={})
    env = auth_env("https://github.com/a/b.git", "tok", base={"GIT_CONFIG_COUNT": "1"})
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_1"] == "http.https://github.com/.extraheader"
