"""`GitHubHosts`: one `GitHubHost` per installation of the configured App, built on demand."""

from __future__ import annotations

import threading

from agents.githost import RepoRef
from bot.github.app_auth import InstallationTokens
from bot.github.host import GitHubHost
from bot.github.retry import RetryPolicy
from bot.github.types import TokenCache
from bot.settings import Settings


class GitHubHosts:
    """Hands out hosts by installation id (from a webhook) or by repository (from the CLI)."""

    def __init__(
        self, tokens: InstallationTokens, *, api_url: str, policy: RetryPolicy | None = None
    ) -> None:
        self._tokens = tokens
        self._api_url = api_url
        self._policy = policy or RetryPolicy()
        self._hosts: dict[int, GitHubHost] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, cache: TokenCache) -> GitHubHosts:
        return cls(
            InstallationTokens.from_settings(settings, cache),
            api_url=settings.github_api_url,
            policy=RetryPolicy.from_settings(settings),
        )

    def __repr__(self) -> str:
        return f"GitHubHosts(app_id={self._tokens.app_id}, api_url={self._api_url!r})"

    def for_installation(self, installation_id: int) -> GitHubHost:
        with self._lock:
            host = self._hosts.get(installation_id)
            if host is None:
                host = GitHubHost.for_installation(
                    self._tokens, installation_id, api_url=self._api_url, policy=self._policy
                )
                self._hosts[installation_id] = host
            return host

    def for_repo(self, repo: RepoRef) -> GitHubHost:
        """The host for the installation covering `repo` (one lookup as the App)."""
        return self.for_installation(self._tokens.installation_id_for_repo(repo.owner, repo.name))
