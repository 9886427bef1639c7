"""Recording a delivery and turning it into tasks, in one transaction.

Shared by the App's webhook route and by `codemonkey action`, so both route events the same
way. Synchronous SQL only (callers on an event loop run it in a thread); nothing here calls
GitHub or a model.

Idempotency: the delivery row's unique `delivery_id` is the gate. The insert comes first in
the transaction, so among concurrent copies of one delivery exactly one gets past it (the
others wait for it on the unique index and then fail); task idempotency keys derived from
the delivery id back this up if a task insert is ever retried.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.sql.database import Database
from storage.sql.models import Installation, Project, Task, TaskState, WebhookDelivery
from storage.sql.types import utcnow
from storage.tasks import NewTask, create_task
from webhooks import intents as k
from webhooks.config_cache import routing_config
from webhooks.events import Event, EventParseError, parse_envelope, parse_event
from webhooks.ingest_pg import (
    DeliveryRow,
    ProjectView,
    autocommit_driver,
    insert_delivery,
    project_view,
)
from webhooks.intents import InstallationChange, Intent, Routing
from webhooks.repo_config import RepoConfig
from webhooks.routing import RoutingContext, route
from webhooks.supersede import cancel_group

log = logging.getLogger(__name__)

# A still-pending task of these kinds in the same group absorbs a new one (GitHub sends
# both `opened` and `labeled` for an issue created with the trigger label).
COALESCED_KINDS = (k.ISSUE_TRIAGE,)


class Outcome(StrEnum):
    QUEUED = "queued"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    PING = "ping"
    REGISTERED = "registered"


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event: str
    payload: dict[str, Any]
    # The delivery id that already brought this exact body: a replay under a new id is
    # recorded as a duplicate and creates nothing.
    replay_of: str | None = None


@dataclass(frozen=True)
class IngestConfig:
    app_slug: str
    defaults: RepoConfig
    branch_prefix: str = "codemonkey/"
    extra_bot_logins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    reason: str
    # Every task the delivery maps to; `new_task_ids` are those to enqueue now.
    task_ids: tuple[int, ...] = ()
    new_task_ids: tuple[int, ...] = ()
    cancelled_task_ids: tuple[int, ...] = field(default_factory=tuple)
    # An installation GitHub reported deleted or suspended: its cached token must go now.
    revoked_installation: int | None = None


def ingest_delivery(database: Database, delivery: Delivery, config: IngestConfig) -> IngestResult:
    """Record the delivery and create its tasks; commit before returning.

    The caller enqueues `new_task_ids` after this returns (the rows are committed by then).
    On PostgreSQL the common delivery is one statement (`webhooks.ingest_pg`); installation
    changes, superseding and coalescing, and any collision take the general path.
    """
    if not database.is_sqlite:
        try:
            recorded = _ingest_in_one_statement(database, delivery, config)
        except IntegrityError:
            recorded = None  # a copy of this delivery or of its tasks exists: see below
        if recorded is not None:
            return recorded
    try:
        with database.session() as session:
            return _ingest(session, delivery, config)
    except IntegrityError:
        with database.session() as session:
            existing = session.scalar(
                select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery.delivery_id)
            )
        if existing is None:
            raise
        return IngestResult(
            outcome=Outcome.DUPLICATE,
            reason=f"delivery already received at {existing.received_at.isoformat()}",
            task_ids=tuple(int(t) for t in existing.task_ids),
        )


def _ingest_in_one_statement(
    database: Database, delivery: Delivery, config: IngestConfig
) -> IngestResult | None:
    """The delivery recorded with a project read and one insert statement, both outside an
    explicit transaction; None (nothing written) when it needs the general path."""
    envelope = parse_envelope(delivery.payload)
    with autocommit_driver(database) as connection:
        if delivery.replay_of is not None:
            decided: IngestResult | tuple[Routing, ProjectView | None] = _replay(delivery)
        else:
            decided = _decide(delivery, config, partial(project_view, connection))
        if isinstance(decided, IngestResult):
            result = decided
            tasks: list[NewTask] = []
        else:
            routing, project = decided
            if not _fits_one_statement(routing, project, envelope):
                return None
            project_id = project.id if project else None
            tasks = [_new_task(delivery, intent, project_id) for intent in routing.intents]
            result = _summary(routing, "", [], has_tasks=bool(tasks))
        ids = insert_delivery(connection, _delivery_row(delivery, envelope, result), tasks)
    if not ids:
        return result
    return dataclasses.replace(result, task_ids=tuple(ids), new_task_ids=tuple(ids))


def _fits_one_statement(routing: Routing, project: ProjectView | None, envelope: Event) -> bool:
    """Only plain inserts: no installation rows, no cancellations, no coalescing, and no
    intent naming a repository other than the delivery's (that needs its own lookup)."""
    if routing.installation is not None:
        return False
    repo = envelope.repository.full_name if envelope.repository else None
    for intent in routing.intents:
        if intent.supersedes or intent.kind in COALESCED_KINDS:
            return False
        if project is None and intent.payload.get("repo") not in (None, repo):
            return False
    return True


def _replay(delivery: Delivery) -> IngestResult:
    return IngestResult(
        outcome=Outcome.DUPLICATE,
        reason=f"same body as delivery {delivery.replay_of}: a replay under a new "
        "delivery id creates nothing",
    )


def _delivery_columns(delivery: Delivery, envelope: Event) -> dict[str, Any]:
    """What a delivery row records of the delivery, cut to its columns' sizes."""
    return {
        "delivery_id": delivery.delivery_id,
        "event": delivery.event[:64],
        "action": _clip(envelope.action, 64),
        "repository": _clip(envelope.repository.full_name if envelope.repository else None, 255),
        "sender": _clip(envelope.sender.login if envelope.sender else None, 255),
        "installation_id": envelope.installation.id if envelope.installation else None,
    }


def _delivery_row(delivery: Delivery, envelope: Event, result: IngestResult) -> DeliveryRow:
    return DeliveryRow(
        **_delivery_columns(delivery, envelope),
        outcome=result.outcome.value,
        reason=result.reason,
        received_at=utcnow(),
    )


def _ingest(session: Session, delivery: Delivery, config: IngestConfig) -> IngestResult:
    envelope = parse_envelope(delivery.payload)
    row = _record(session, delivery, envelope)
    if delivery.replay_of is not None:
        result = _replay(delivery)
    else:
        result = _route_and_create(session, delivery, config)
    row.outcome = result.outcome.value
    row.reason = result.reason
    row.task_ids = list(result.task_ids)
    return result


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None


def _record(session: Session, delivery: Delivery, envelope: Event) -> WebhookDelivery:
    row = WebhookDelivery(**_delivery_columns(delivery, envelope), outcome="received")
    session.add(row)
    # Flushed first, before any read: the unique index is the dedup gate, and on SQLite a
    # transaction that starts by writing waits for the lock instead of failing.
    session.flush()
    return row


def _route_and_create(session: Session, delivery: Delivery, config: IngestConfig) -> IngestResult:
    decided = _decide(delivery, config, partial(_project_in_session, session))
    if isinstance(decided, IngestResult):
        return decided
    routing, project = decided
    registered = ""
    if routing.installation is not None:
        registered = _apply_installation(session, routing.installation)
    result = _create_tasks(session, delivery, routing, project, registered)
    change = routing.installation
    if change is not None and (change.deleted or change.suspended):
        return dataclasses.replace(result, revoked_installation=change.installation_id)
    return result


def _project_in_session(session: Session, name: str) -> ProjectView | None:
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        return None
    return ProjectView(id=project.id, active=project.active, config=project.config)


def _decide(
    delivery: Delivery, config: IngestConfig, find_project: Callable[[str], ProjectView | None]
) -> IngestResult | tuple[Routing, ProjectView | None]:
    """The outcome when nothing is to be created, else the routing and the project."""
    if delivery.event == "ping":
        return IngestResult(outcome=Outcome.PING, reason="ping")
    try:
        event = parse_event(delivery.event, delivery.payload)
    except EventParseError as exc:
        return IngestResult(outcome=Outcome.IGNORED, reason=str(exc))
    if event is None:
        return IngestResult(
            outcome=Outcome.IGNORED, reason=f"event {delivery.event!r} is not handled"
        )
    project = None
    if event.repository is not None:
        name = event.repository.full_name
        project = find_project(name)
        if project is not None and not project.active:
            return IngestResult(outcome=Outcome.IGNORED, reason=f"project {name} is deactivated")
    repo_config = routing_config(project.config if project else None, defaults=config.defaults)
    ctx = RoutingContext(
        delivery_id=delivery.delivery_id,
        app_slug=config.app_slug,
        config=repo_config or config.defaults,
        config_known=repo_config is not None,
        branch_prefix=config.branch_prefix,
        extra_bot_logins=config.extra_bot_logins,
    )
    routing = route(delivery.event, event, ctx)
    if routing.ignored is not None:
        return IngestResult(outcome=Outcome.IGNORED, reason=routing.ignored)
    return routing, project


def _create_tasks(
    session: Session,
    delivery: Delivery,
    routing: Routing,
    project: ProjectView | None,
    registered: str,
) -> IngestResult:
    all_ids: list[int] = []
    new_ids: list[int] = []
    cancelled: list[int] = []
    # All cancellations first, so one intent never cancels a sibling created just before it.
    targets = {(i.group_key, i.supersedes) for i in routing.intents if i.supersedes and i.group_key}
    for group_key, superseded in sorted(targets):
        assert group_key is not None
        cancelled += cancel_group(
            session,
            group_key,
            kinds=superseded,
            reason=f"superseded by delivery {delivery.delivery_id}",
        )
    for intent in routing.intents:
        project_id = project.id if project else _project_id(session, intent)
        pending = _pending_same(session, intent)
        if pending is not None:
            all_ids.append(pending)
            continue
        task, created = create_task(session, _new_task(delivery, intent, project_id))
        all_ids.append(task.id)
        if created:
            new_ids.append(task.id)
    summary = _summary(routing, registered, cancelled, has_tasks=bool(all_ids))
    return dataclasses.replace(
        summary,
        task_ids=tuple(all_ids),
        new_task_ids=tuple(new_ids),
        cancelled_task_ids=tuple(cancelled),
    )


def _summary(
    routing: Routing, registered: str, cancelled: list[int], *, has_tasks: bool
) -> IngestResult:
    names = ", ".join(sorted({i.kind for i in routing.intents}))
    parts = [p for p in (registered, f"tasks: {names}" if names else "", *routing.notes) if p]
    if cancelled:
        parts.append(f"cancelled superseded tasks {cancelled}")
    return IngestResult(
        outcome=Outcome.QUEUED if has_tasks else Outcome.REGISTERED, reason="; ".join(parts)
    )


def _new_task(delivery: Delivery, intent: Intent, project_id: int | None) -> NewTask:
    return NewTask(
        kind=intent.kind,
        payload=dict(intent.payload),
        project_id=project_id,
        role=intent.role,
        title=intent.title[:512],
        group_key=intent.group_key,
        idempotency_key=f"gh:{delivery.delivery_id}:{intent.key}"[:255],
    )


def _project_id(session: Session, intent: Intent) -> int | None:
    repo = intent.payload.get("repo")
    if not isinstance(repo, str):
        return None
    return session.scalar(select(Project.id).where(Project.name == repo))


def _pending_same(session: Session, intent: Intent) -> int | None:
    if intent.kind not in COALESCED_KINDS or intent.group_key is None:
        return None
    pending = session.scalars(
        select(Task).where(
            Task.group_key == intent.group_key,
            Task.kind == intent.kind,
            Task.state.in_([TaskState.QUEUED.value, TaskState.RUNNING.value]),
        )
    )
    return next((task.id for task in pending if _covers(task.payload, intent.payload)), None)


def _covers(pending: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether the pending task already carries the new event's label. While a repository's
    config is unknown, any label is routed and the worker checks it: a pending task for
    `bug` must not swallow the `codemonkey` label added just after."""
    label = new.get("label")
    return label is None or label == pending.get("label") or label in (pending.get("labels") or ())


def _apply_installation(session: Session, change: InstallationChange) -> str:
    installation = session.get(Installation, change.installation_id)
    projects = session.scalars(
        select(Project).where(Project.installation_id == change.installation_id)
    ).all()
    if change.deleted:
        for project in projects:
            project.active = False
        if installation is not None:
            session.delete(installation)
        return (
            f"installation {change.installation_id} removed; {len(projects)} project(s) deactivated"
        )
    if installation is None:
        installation = Installation(
            id=change.installation_id,
            account_login=change.account_login,
            account_type=change.account_type,
        )
        session.add(installation)
        session.flush()
    elif change.account_login:
        installation.account_login = change.account_login
    if change.suspended is not None:
        installation.suspended = change.suspended
    added: list[str] = []
    removed: list[str] = []
    for repo in change.repos:
        found = session.scalar(select(Project).where(Project.name == repo.full_name))
        project = found or Project(name=repo.full_name, installation_id=change.installation_id)
        if found is None:
            session.add(project)
        project.installation_id = change.installation_id
        project.active = repo.active
        (added if repo.active else removed).append(repo.full_name)
    session.flush()
    summary = [f"installation {change.installation_id}"]
    if change.suspended is not None:
        summary.append("suspended" if change.suspended else "unsuspended")
    if added:
        summary.append(f"registered {', '.join(added)}")
    if removed:
        summary.append(f"unregistered {', '.join(removed)}")
    return " ".join(summary)
