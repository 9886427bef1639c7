"""Fixtures for the GitHub client tests: a served fake GitHub and hosts talking to it."""

from __future__ import annotations

import pytest

from bot.github.app_auth import AppCredentials, InstallationTokens
from bot.github.host import GitHubHost
from bot.github.retry import RetryPolicy
from bot.github.types import MemoryTokenCache
from tests.fakegithub.fixtures import GitHubEnv, fake_github, github_env

__all__ = ["fake_github", "github_env"]

FAST = RetryPolicy(
    retries=3,
    backoff_factor=0.01,
    backoff_max_seconds=0.05,
    secondary_wait_seconds=0.05,
    max_wait_seconds=5.0,
    seconds_between_requests=None,
    seconds_between_writes=None,
)


@pytest.fixture
def tokens(github_env: GitHubEnv) -> InstallationTokens:
    credentials = AppCredentials(github_env.app_id, github_env.private_key)
    return InstallationTokens(credentials, api_url=github_env.api_url, cache=MemoryTokenCache())


@pytest.fixture
def host(github_env: GitHubEnv, tokens: InstallationTokens) -> GitHubHost:
    return GitHubHost.for_installation(
        tokens, github_env.installation.id, api_url=github_env.api_url, policy=FAST
    )
