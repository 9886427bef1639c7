"""Host lookup by installation or repository, and no secret in any log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agents.git.remote import clone, push
from agents.git.worktree import GitIdentity, commit_all, create_worktree
from agents.githost import GitHostNotFound, RepoRef
from bot.github.app_auth import GitHubAuthError, InstallationTokens
from bot.github.hosts import GitHubHosts
from bot.github.types import MemoryTokenCache
from bot.settings import Settings
from tests.fakegithub.fixtures import GitHubEnv
from tests.github.conftest import FAST

REPO = RepoRef("acme", "widgets")


def test_hosts_from_settings_by_installation_and_repo(github_env: GitHubEnv) -> None:
    settings = Settings(
        github_api_url=github_env.api_url,
        github_app_id=github_env.app_id,
        github_private_key=github_env.private_key,
        github_max_wait_seconds=5,
    )
    hosts = GitHubHosts.from_settings(settings, MemoryTokenCache())
    by_id = hosts.for_installation(github_env.installation.id)
    assert hosts.for_repo(REPO) is by_id
    assert by_id.default_branch(REPO) == "main"
    with pytest.raises(GitHubAuthError, match="not installed"):
        hosts.for_repo(RepoRef("acme", "nowhere"))
    assert "PRIVATE" not in repr(hosts)


def test_no_token_or_key_in_logs(
    github_env: GitHubEnv,
    tokens: InstallationTokens,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    hosts = GitHubHosts(tokens, api_url=github_env.api_url, policy=FAST)
    host = hosts.for_installation(github_env.installation.id)
    host.comment(REPO, github_env.issue.number, "hello")
    with pytest.raises(GitHostNotFound):
        host.issue_body(REPO, 999)
    token = host.git_token(REPO)
    repo_dir = tmp_path / "clone"
    clone(host.clone_url(REPO), repo_dir, token)
    work = create_worktree(repo_dir, tmp_path / "worktrees", "logged", base_ref="origin/main")
    (work.path / "f.txt").write_text("f\n")
    commit_all(work, "f", GitIdentity("Bot", "bot@example.com"))
    push(work.layout, "logged", token, url=host.clone_url(REPO))
    assert caplog.records, "expected debug logging from the GitHub and git clients"
    assert token not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
