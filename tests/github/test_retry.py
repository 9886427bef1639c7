"""Rate limits and server errors: GitHubHost waits and retries, within a bounded wait."""

from __future__ import annotations

import dataclasses
import time

import pytest

from agents.githost import GitHostError, GitHostRateLimited, RepoRef
from bot.github.app_auth import InstallationTokens
from bot.github.host import GitHubHost
from bot.github.retry import rate_limit_wait
from tests.fakegithub.fixtures import GitHubEnv
from tests.github.conftest import FAST

REPO = RepoRef("acme", "widgets")


def _calls(env: GitHubEnv, path: str) -> list[int]:
    return [r.status for r in env.fake.requests if r.path == path]


def test_server_errors_are_retried_with_backoff(host: GitHubHost, github_env: GitHubEnv) -> None:
    host.git_token(REPO)  # mint the token first so faults hit only the call under test
    github_env.fake.inject_faults(2, status=502, path_prefix="/repos/acme/widgets")
    assert host.default_branch(REPO) == "main"
    assert _calls(github_env, "/repos/acme/widgets") == [502, 502, 200]


def test_writes_are_retried_after_server_errors(host: GitHubHost, github_env: GitHubEnv) -> None:
    host.git_token(REPO)
    github_env.fake.inject_faults(1, status=503, path_prefix="/repos/acme/widgets/issues")
    made = host.comment(REPO, github_env.issue.number, "hello")
    assert github_env.fake.comments[made.id].body == "hello"


def test_persistent_server_errors_surface_after_bounded_retries(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    host.git_token(REPO)
    github_env.fake.inject_faults(10, status=500, path_prefix="/repos/acme/widgets")
    with pytest.raises(GitHostError, match="500") as caught:
        host.default_branch(REPO)
    assert caught.value.status == 500
    assert len(_calls(github_env, "/repos/acme/widgets")) == FAST.retries + 1


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(
    host: GitHubHost, github_env: GitHubEnv, status: int
) -> None:
    host.git_token(REPO)
    github_env.fake.inject_faults(1, status=status, retry_after=1, path_prefix="/repos/")
    started = time.monotonic()
    assert host.default_branch(REPO) == "main"
    assert time.monotonic() - started >= 1.0
    assert _calls(github_env, "/repos/acme/widgets") == [status, 200]


def test_secondary_rate_limit_without_header_waits_the_configured_time(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    host.git_token(REPO)
    github_env.fake.inject_faults(1, status=403, path_prefix="/repos/")
    assert host.default_branch(REPO) == "main"
    assert _calls(github_env, "/repos/acme/widgets") == [403, 200]


def test_primary_rate_limit_waits_for_the_reset(host: GitHubHost, github_env: GitHubEnv) -> None:
    host.git_token(REPO)
    github_env.fake.inject_faults(1, primary_rate_limit=True, path_prefix="/repos/")
    assert host.default_branch(REPO) == "main"
    assert _calls(github_env, "/repos/acme/widgets") == [403, 200]


def test_waits_beyond_the_limit_raise_instead_of_blocking(
    github_env: GitHubEnv, tokens: InstallationTokens
) -> None:
    impatient = GitHubHost.for_installation(
        tokens,
        github_env.installation.id,
        api_url=github_env.api_url,
        policy=dataclasses.replace(FAST, max_wait_seconds=0.5),
    )
    impatient.git_token(REPO)
    github_env.fake.inject_faults(1, status=429, retry_after=30, path_prefix="/repos/")
    started = time.monotonic()
    with pytest.raises(GitHostRateLimited) as caught:
        impatient.default_branch(REPO)
    assert caught.value.wait_seconds == 30
    assert time.monotonic() - started < 5


def test_forbidden_without_rate_limit_is_not_retried(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    """A 403 for a missing permission must fail at once (not look like a rate limit)."""
    from tests.fakegithub.state import Fault

    host.git_token(REPO)
    github_env.fake.faults.append(
        Fault(403, {}, {"message": "Resource not accessible by integration"}, "/repos/")
    )
    with pytest.raises(GitHostError, match="Resource not accessible by integration"):
        host.default_branch(REPO)
    assert _calls(github_env, "/repos/acme/widgets") == [403]


def test_rate_limit_wait_reads_githubs_headers() -> None:
    assert rate_limit_wait({"retry-after": "7"}, 0.0) == 7.0
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "110"}, 100.0) == 11
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "90"}, 100.0) == 1
    assert rate_limit_wait({"x-ratelimit-remaining": "12"}, 0.0) is None
    assert rate_limit_wait({}, 0.0, 60.0) == 60.0
