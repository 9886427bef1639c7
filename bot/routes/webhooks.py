"""`POST /webhooks/github`: check the signature, record the delivery, queue its tasks, 202.

Order matters: the body is read (bounded) and its HMAC checked before anything parses it;
a delivery that fails the check leaves no trace in the database. Only GitHub's JSON content
type is accepted: GitHub Apps always deliver JSON, and a repository webhook set to
`application/x-www-form-urlencoded` gets a 415 telling its owner to switch it to JSON
(one wire format, one parser, nothing form-decoded before routing).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.github.app_auth import forget_installation_token
from bot.json_input import JsonRejected, parse_json
from bot.logs import log_context
from bot.metric_labels import webhook_event_label
from bot.outages import OUTAGE_ERRORS, OUTAGE_MESSAGE, retry_after_header
from bot.queue.base import TaskQueue
from bot.request_body import BodyTooLarge, read_body
from bot.settings import Settings
from storage.kv import Cache, KvError
from storage.kv.memory import MemoryCache
from storage.sql.database import Database
from webhooks.ingest import Delivery, IngestConfig, IngestResult, Outcome, ingest_delivery
from webhooks.repo_config import RepoConfig
from webhooks.signature import verify_signature

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/github"
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_EVENT_NAME = re.compile(r"^[a-z_]{1,64}$")


@dataclass(frozen=True)
class WebhookDeps:
    database: Database
    queue: TaskQueue
    secret: SecretStr | None
    ingest: IngestConfig
    max_body_bytes: int = 25 * 1024 * 1024
    # Remembers each body's digest for `replay_window_seconds` (Redis or in-process).
    seen_bodies: Cache = field(default_factory=MemoryCache)
    replay_window_seconds: float = 24 * 3600.0
    # Drops an installation's cached token (installation id); None without App settings.
    forget_token: Callable[[int], None] | None = None


def webhook_deps(
    settings: Settings, *, database: Database, queue: TaskQueue, cache: Cache | None = None
) -> WebhookDeps:
    """The route's dependencies from the service settings; `cache` remembers body digests
    (the service's kv cache, so every receiver shares them)."""
    return WebhookDeps(
        database=database,
        queue=queue,
        secret=settings.webhook_secret,
        ingest=IngestConfig(
            app_slug=settings.github_app_slug,
            defaults=RepoConfig.defaults(
                trigger_label=settings.trigger_label, role_models=settings.role_models
            ),
        ),
        max_body_bytes=settings.webhook_max_body_bytes,
        seen_bodies=cache or MemoryCache(),
        replay_window_seconds=settings.webhook_replay_window_seconds,
        forget_token=(
            None
            if cache is None or settings.github_app_id is None
            else partial(forget_installation_token, cache, settings.github_app_id)
        ),
    )


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


# Told of every delivery: (event, outcome); rejected requests report "rejected-<status>".
Observer = Callable[[str, str], None]


def webhook_route(
    deps: WebhookDeps, *, path: str = WEBHOOK_PATH, observe: Observer | None = None
) -> Route:
    """The Starlette route for GitHub deliveries, bound to explicit dependencies."""

    async def endpoint(request: Request) -> JSONResponse:
        response = await receive(request)
        if observe is not None:
            event = webhook_event_label(request.headers.get("x-github-event", ""))
            outcome = response.headers.get("x-codemonkey-outcome")
            observe(event, outcome or f"rejected-{response.status_code}")
        return response

    async def receive(request: Request) -> JSONResponse:
        secret = deps.secret.get_secret_value().encode() if deps.secret else b""
        if not secret:
            return _error(
                503,
                "webhook secret not configured: set CODEMONKEY_WEBHOOK_SECRET to the secret "
                "in your GitHub App's webhook settings and restart; unsigned deliveries are "
                "never accepted",
            )
        try:
            body = await read_body(request, deps.max_body_bytes)
        except BodyTooLarge:
            return _error(413, f"body larger than {deps.max_body_bytes} bytes")
        if not verify_signature(secret, body, request.headers.get("x-hub-signature-256")):
            return _error(401, "missing or invalid X-Hub-Signature-256")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(
                415,
                f"content type {content_type or 'missing'!r} is not supported: set the "
                "webhook's content type to application/json",
            )
        event = request.headers.get("x-github-event", "")
        delivery_id = request.headers.get("x-github-delivery", "")
        if not _EVENT_NAME.match(event) or not _DELIVERY_ID.match(delivery_id):
            return _error(400, "missing or malformed X-GitHub-Event / X-GitHub-Delivery header")
        try:
            payload: Any = parse_json(body)
        except JsonRejected as exc:
            return _error(400, str(exc))
        if not isinstance(payload, dict):
            return _error(400, "body must be a JSON object")
        with log_context(delivery_id=delivery_id, event=event):
            try:
                # One trip to a worker thread for the replay check, the transaction and the
                # enqueue: each hop costs a thread hand-off on the request path.
                result = await run_in_threadpool(_accept, deps, body, delivery_id, event, payload)
            except OUTAGE_ERRORS:
                log.exception("could not record the delivery; answering 503 so it is redelivered")
                return JSONResponse(
                    {"error": f"{OUTAGE_MESSAGE}; redeliver this delivery from the App settings"},
                    status_code=503,
                    headers=retry_after_header(),
                )
            log.info(
                "webhook %s", result.outcome.value, extra={"fields": {"reason": result.reason}}
            )
        return _response(delivery_id, result)

    return Route(path, endpoint, methods=["POST"])


def _accept(
    deps: WebhookDeps, body: bytes, delivery_id: str, event: str, payload: dict[str, Any]
) -> IngestResult:
    """Check for a replay, record the delivery and its tasks, then enqueue the new ones."""
    replay_of = _first_delivery_of(deps, body, delivery_id)
    delivery = Delivery(delivery_id, event, payload, replay_of=replay_of)
    result = ingest_delivery(deps.database, delivery, deps.ingest)
    _enqueue(deps.queue, result)
    _forget_token(deps, result)
    return result


def _first_delivery_of(deps: WebhookDeps, body: bytes, delivery_id: str) -> str | None:
    """The other delivery id that brought this exact signed body within the window.

    The signature covers the body only, so a captured delivery stays valid forever; GitHub
    redelivers under the same id (handled by the delivery row), so the same body under a
    new id is a replay. One kv round trip. When the kv store is down the check is skipped:
    the delivery id gate still holds, and a lost delivery is worse than a rare replay.
    """
    key = f"webhook:body:{hashlib.sha256(body).hexdigest()}"
    try:
        first = deps.seen_bodies.set_first(
            key, delivery_id.encode(), ttl_seconds=deps.replay_window_seconds
        )
    except KvError:
        log.warning("replay check skipped: the kv store is unavailable")
        return None
    if first is None or first.decode(errors="replace") == delivery_id:
        return None
    return first.decode(errors="replace")


def _forget_token(deps: WebhookDeps, result: IngestResult) -> None:
    """A deleted or suspended installation's token is dropped at once, not when it expires
    (up to an hour later): GitHub refuses it from now on, and every worker shares it."""
    if result.revoked_installation is None or deps.forget_token is None:
        return
    try:
        deps.forget_token(result.revoked_installation)
    except KvError:
        log.warning("could not drop installation %s's cached token", result.revoked_installation)


def _enqueue(queue: TaskQueue, result: IngestResult) -> None:
    if not result.new_task_ids:
        return
    try:
        queue.enqueue(list(result.new_task_ids))
    except Exception:
        # The tasks are committed in SQL; the queue's recovery sweep re-delivers queued
        # tasks whose ids were lost, so the delivery is still accepted.
        log.exception("enqueue failed; tasks stay queued in SQL for recovery")


def _response(delivery_id: str, result: IngestResult) -> JSONResponse:
    status = 202 if result.outcome in (Outcome.QUEUED, Outcome.REGISTERED) else 200
    body: dict[str, Any] = {
        "delivery": delivery_id,
        "outcome": result.outcome.value,
        "reason": result.reason,
        "task_ids": list(result.task_ids),
    }
    if result.outcome is Outcome.PING:
        body["message"] = "pong"
    return JSONResponse(
        body, status_code=status, headers={"x-codemonkey-outcome": result.outcome.value}
    )
