"""What routing needs to know besides the event: the bot's identity and the repo's config."""

from __future__ import annotations

from dataclasses import dataclass

from webhooks.events import Event
from webhooks.repo_config import RepoConfig


@dataclass(frozen=True)
class RoutingContext:
    delivery_id: str
    app_slug: str
    config: RepoConfig
    branch_prefix: str = "codemonkey/"
    # Logins whose events are the bot's own (the App's `<slug>[bot]`; in Action mode also
    # `github-actions[bot]`).
    extra_bot_logins: frozenset[str] = frozenset()
    # False when no worker has read the repository's config yet (`webhooks.config_cache`):
    # issue label events are then routed whatever the label, for the worker to decide.
    config_known: bool = True

    @property
    def bot_logins(self) -> frozenset[str]:
        logins = (f"{self.app_slug}[bot]", *self.extra_bot_logins)
        return frozenset(login.lower() for login in logins)

    def is_bot(self, login: str) -> bool:
        return login.lower() in self.bot_logins


def repo_name(event: Event) -> str:
    assert event.repository is not None, "routed events carry a repository"
    return event.repository.full_name
