"""A cached installation token that GitHub no longer accepts is replaced, not fatal."""

from __future__ import annotations

import time

import pytest

from agents.githost import GitHostAuthError, RepoRef
from bot.github.app_auth import AppCredentials, InstallationToken, InstallationTokens
from bot.github.host import GitHubHost
from bot.github.types import MemoryTokenCache
from tests.fakegithub.fixtures import GitHubEnv
from tests.github.conftest import FAST


def _tokens(env: GitHubEnv, cache: MemoryTokenCache) -> InstallationTokens:
    return InstallationTokens(
        AppCredentials(env.app_id, env.private_key), api_url=env.api_url, cache=cache
    )


def test_a_revoked_cached_token_is_dropped_and_the_call_succeeds(github_env: GitHubEnv) -> None:
    cache = MemoryTokenCache()
    tokens = _tokens(github_env, cache)
    installation = github_env.installation.id
    key = f"github:installation-token:{github_env.app_id}:{installation}"
    # A token another deployment cached, or one revoked since: still "valid" for an hour.
    cache.set(key, InstallationToken("ghs_revoked", time.time() + 3600).to_bytes(), 3600)
    host = GitHubHost.for_installation(
        tokens, installation, api_url=github_env.api_url, policy=FAST
    )
    repo = RepoRef.parse(github_env.repo.full_name)

    assert host.default_branch(repo) == "main"
    fresh = cache.get(key)
    assert fresh is not None and InstallationToken.from_bytes(fresh).token != "ghs_revoked"
    rejected = [r for r in github_env.fake.requests if r.status == 401]
    assert len(rejected) == 1  # one refusal, then the fresh token


def test_a_token_rejected_twice_is_an_auth_error_not_a_loop(github_env: GitHubEnv) -> None:
    host = GitHubHost.for_token("ghs_never_valid", api_url=github_env.api_url, policy=FAST)
    with pytest.raises(GitHostAuthError) as raised:
        host.default_branch(RepoRef.parse(github_env.repo.full_name))
    assert raised.value.status == 401
