"""The fake GitHub's forks as GitHub documents them: a PR's `head.repo` is the fork and
`maintainer_can_modify` is the author's choice; the base repository serves the head as
`refs/pull/N/head` (kept current on pushes to the fork); the installation's token may push
to a fork's branch only while an open PR from it allows edits from maintainers."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.git.process import GitError
from agents.git.remote import clone, fetch, push
from agents.git.worktree import GitIdentity, commit_all, create_worktree
from agents.githost import RepoRef
from bot.github.host import GitHubHost
from tests.fakegithub.fixtures import GitHubEnv

REPO = RepoRef("acme", "widgets")
FORK = "alice/widgets"
BOT = GitIdentity("codemonkey[bot]", "codemonkey[bot]@users.noreply.github.com")


def _fork_pull(env: GitHubEnv, *, maintainer_can_modify: bool) -> tuple[int, str]:
    fake = env.fake
    fake.create_fork("acme/widgets", "alice")
    head = fake.commit_files(FORK, {"src/app.py": "print('fork')\n"}, "Fork change", branch="f")
    pr = fake.create_pull(
        "acme/widgets",
        "f",
        "main",
        "From a fork",
        user="alice",
        head_repo=FORK,
        maintainer_can_modify=maintainer_can_modify,
    )
    return pr.number, head


def test_a_fork_pull_request_names_the_fork_as_its_head_repository(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    number, head = _fork_pull(github_env, maintainer_can_modify=True)
    pr = host.pull_request(REPO, number)
    assert (pr.head, pr.head_repo, pr.maintainer_can_modify) == ("f", FORK, True)
    fork = github_env.fake.repos[FORK]
    assert fork.parent == "acme/widgets"
    assert github_env.fake.head_sha("acme/widgets", f"refs/pull/{number}/head") == head


def test_the_base_repository_serves_the_fork_head_as_its_pull_ref(
    host: GitHubHost, github_env: GitHubEnv, tmp_path: Path
) -> None:
    number, head = _fork_pull(github_env, maintainer_can_modify=False)
    token = host.git_token(REPO)
    url = host.clone_url(REPO)
    clone(url, tmp_path / "c", token)
    ref = f"refs/pull/{number}/head"
    fetch(tmp_path / "c", token, f"+{ref}:{ref}", url=url)
    got = github_env.fake.git(tmp_path / "c" / ".git", "rev-parse", ref).strip()
    assert got == head
    # A later push to the fork moves the ref.
    newer = github_env.fake.commit_files(FORK, {"x.txt": "x\n"}, "More", branch="f")
    fetch(tmp_path / "c", token, f"+{ref}:{ref}", url=url)
    assert github_env.fake.git(tmp_path / "c" / ".git", "rev-parse", ref).strip() == newer


@pytest.mark.parametrize("allowed", [True, False])
def test_the_installation_pushes_to_a_fork_only_with_maintainer_edits(
    host: GitHubHost, github_env: GitHubEnv, tmp_path: Path, allowed: bool
) -> None:
    number, head = _fork_pull(github_env, maintainer_can_modify=allowed)
    token = host.git_token(REPO)
    url = host.clone_url(REPO)
    work = tmp_path / "c"
    clone(url, work, token)
    ref = f"refs/pull/{number}/head"
    fetch(work, token, f"+{ref}:refs/heads/pull/{number}/head", url=url)
    checkout = create_worktree(work, tmp_path / "worktrees", f"pull/{number}/head")
    (checkout.path / "fix.txt").write_text("fixed\n")
    sha = commit_all(checkout, "Fix", BOT)
    fork_url = url.replace("acme/widgets.git", f"{FORK}.git")
    if allowed:
        push(checkout.layout, f"pull/{number}/head", token, url=fork_url, to="f")
        assert github_env.fake.head_sha(FORK, "refs/heads/f") == sha
    else:
        with pytest.raises(GitError):
            push(checkout.layout, f"pull/{number}/head", token, url=fork_url, to="f")
        assert github_env.fake.head_sha(FORK, "refs/heads/f") == head
    assert f"pull/{number}/head" not in github_env.fake.branches("acme/widgets")
