"""What routing needs to know besides the event: the bot's identity and the repo's config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webhooks.events import Event
from webhooks.repo_config import RepoConfig
from webhooks.sanitize import sanitize


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


def base_payload(event: Event, ctx: RoutingContext) -> dict[str, Any]:
    sender = event.sender
    return {
        "repo": event.repository.full_name if event.repository else None,
        "installation_id": event.installation.id if event.installation else None,
        "delivery_id": ctx.delivery_id,
        "action": event.action,
        "author": sender.login if sender else None,
        "author_type": sender.type if sender else None,
        "author_association": "NONE",
    }


def repo_name(event: Event) -> str:
    assert event.repository is not None, "routed events carry a repository"
    return event.repository.full_name


def pinned_issue(title: str, body: str | None) -> dict[str, Any]:
    """The issue (or pull request) text as the delivery carried it, sanitized.

    The worker checks the trigger's author and then works from this copy, never from a
    fresh fetch: an edit made after a trusted user started the work reaches the models
    only when a trusted user triggers again.
    """
    return {"issue_title": sanitize(title, max_chars=512), "issue_body": sanitize(body)}
