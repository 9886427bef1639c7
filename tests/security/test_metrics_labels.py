"""Finding 6: unauthenticated requests cannot create metric series.

The attack: 300 unsigned webhook deliveries with random `X-GitHub-Event` values and 300
requests to random paths. Every label value must come from a set the service defines, so
the number of series on /metrics does not grow.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

from starlette.testclient import TestClient

from bot.app import create_app
from bot.queue.registry_factory import register_handlers
from bot.services import build_services
from tests.bot.v1_support import v1_settings

ATTEMPTS = 300


def _series(client: TestClient) -> set[str]:
    """Every sample's name and labels on /metrics (values and timestamps left out)."""
    text = client.get("/metrics").text
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and line[0] != "#"}


def _word(rng: random.Random, alphabet: str = string.ascii_lowercase + "_") -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 30)))


def _attack(client: TestClient, rng: random.Random, attempts: int) -> None:
    for _ in range(attempts):
        event = _word(rng) if rng.random() < 0.8 else _word(rng, string.printable[:94])
        client.post(
            "/webhooks/github",
            content=b"{}",
            headers={
                "content-type": "application/json",
                "x-github-event": event,
                "x-github-delivery": _word(rng, string.hexdigits),
            },
        )
    for _ in range(attempts):
        segments = [_word(rng, string.ascii_letters + string.digits) for _ in range(4)]
        client.get("/" + "/".join(segments[: rng.randint(1, 4)]))
        client.get(f"/api/v1/{_word(rng)}/{rng.randint(1, 10**9)}")


def test_random_events_and_paths_add_no_series(tmp_path: Path) -> None:
    services = build_services(
        v1_settings(tmp_path, webhook_secret="metrics-secret"), register_handlers
    )
    rng = random.Random(6)
    with TestClient(create_app(services)) as client:
        # The bounded labels ("other", "unmatched", /metrics itself) exist after this.
        _attack(client, rng, 2)
        _series(client)
        before = _series(client)
        _attack(client, rng, ATTEMPTS)
        after = _series(client)
    services.close()
    added = sorted(after - before)
    assert added == [], f"{len(added)} new series, e.g. {added[:3]}"
    assert any('event="other"' in s and "rejected-401" in s for s in after)
    assert any('route="unmatched"' in s for s in after)
