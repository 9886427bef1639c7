"""Signed webhook deliveries, as GitHub sends them (headers, HMAC-SHA256 of the raw body)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)


@dataclass
class WebhookDelivery:
    event: str
    delivery_id: str
    body: bytes
    headers: dict[str, str]
    payload: dict[str, Any] = field(repr=False)
    status: int | None = None
    """The receiver's HTTP status (URL targets) or None for callables that return nothing."""
    error: str | None = None


WebhookTarget = str | Callable[[WebhookDelivery], object]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign(
    event: str, payload: dict[str, Any], secret: str, delivery_id: str | None = None
) -> WebhookDelivery:
    """A delivery with GitHub's headers; reuse `delivery_id` to simulate a redelivery."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    delivery_id = delivery_id or str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/fake",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-GitHub-Hook-ID": "1",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-Hub-Signature-256": signature(secret, body),
    }
    return WebhookDelivery(event, delivery_id, body, headers, payload)


def deliver(delivery: WebhookDelivery, target: WebhookTarget, timeout: float = 10.0) -> None:
    """POST to a URL or call a function; failures are recorded on the delivery, as GitHub does."""
    if callable(target):
        # GitHub's API call succeeds whatever the receiver does; the failure is kept on the
        # delivery (as GitHub's "Recent Deliveries" shows it) for the test to assert on.
        try:
            result = target(delivery)
        except Exception as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
            logger.warning("webhook target raised for %s: %s", delivery.event, delivery.error)
            return
        delivery.status = result if isinstance(result, int) else None
        return
    try:
        response = httpx.post(
            target, content=delivery.body, headers=delivery.headers, timeout=timeout
        )
    except httpx.HTTPError as exc:
        delivery.error = f"{type(exc).__name__}: {exc}"
        return
    delivery.status = response.status_code
