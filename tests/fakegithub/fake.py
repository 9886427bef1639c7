"""`FakeGitHub`: a local GitHub's state plus the API tests use to seed and inspect it.

Seeding and inspection: `core.py` (repos, installations, tokens, faults, webhooks, git);
what people do (issues, comments, labels, reviews, check runs): `activity.py`.
Serve it with `tests.fakegithub.server.FakeGitHubServer`.
"""

from __future__ import annotations

from tests.fakegithub.activity import HumanActivity
from tests.fakegithub.core import ACTIONS_BOT, generate_private_key
from tests.fakegithub.hooks import WebhookDelivery, WebhookTarget


class FakeGitHub(HumanActivity):
    """A GitHub with one App, bare git repositories under `root`, and recorded traffic."""


__all__ = ["ACTIONS_BOT", "FakeGitHub", "WebhookDelivery", "WebhookTarget", "generate_private_key"]
