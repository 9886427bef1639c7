"""The one decision before any work: may this task run, and with which config?

Every task ingress created is admitted here exactly once, before its flow runs: the
repository's `.github/codemonkey.yml` is read from the default branch
(`bot.repository_cache`), the config must still want the task (`webhooks.config_gate`),
and its author must be trusted for it (`webhooks.trust`; a refused person is answered
once). The flow gets the outcome as an argument (`Admission`: the config and team that
were checked) and never asks GitHub about trust or config itself.

It runs in the worker, not in ingress, because both answers are GitHub's (the author's
permission, the current file) and ingress must not call GitHub: it answers the webhook
within GitHub's time limit and routes with its stored copy of the config, which may be
stale. This is the one point where a task is decided.

The team's own tasks (`plan`, `implement`, ...) are not admitted again: they carry the
admission of the task that started their issue (`AdmissionRecord` in their payload), run
with the config it was checked against, and do not run without it (`inherited`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agents.githost import RepoRef
from agents.team.issue_task import (
    ISSUE_TASK_VERSION,
    AdmissionRecord,
    IssueTaskPayload,
    stage_of,
)
from bot.flows.flow_deps import FlowDeps, typed_payload
from bot.queue.handlers import Handler, PermanentTaskError, TaskContext
from bot.repository_cache import RepositorySetup
from storage.task_graph import TaskSnapshot, replace_payload
from webhooks.config_gate import config_refusal
from webhooks.repo_config import RepoConfig
from webhooks.task_payloads import TaskPayload
from webhooks.trust import SqlRefusalLedger, TrustPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    """A task may run: the config and team it was checked with, and why it may run."""

    setup: RepositorySetup
    record: AdmissionRecord

    @property
    def config(self) -> RepoConfig:
        return self.setup.config

    def summary(self) -> dict[str, str]:
        """What a task's result records of its admission."""
        record = self.record
        return {
            "reason": record.reason,
            "config_ref": record.config_ref,
            "config_sha": record.config_sha,
        }


# An ingress task's flow: runs only once its task was admitted.
IngressFlow = Callable[[FlowDeps, TaskContext, TaskPayload, Admission], dict[str, Any]]


def admit(deps: FlowDeps, ctx: TaskContext, payload: TaskPayload) -> Admission | dict[str, Any]:
    """The task's admission; else the task's result saying why it does not run (a refusal
    is replied to once; a task the config does not want is ignored silently, as ingress
    would have)."""
    worker = deps.worker
    host = worker.hosts(payload.installation_id)
    setup = worker.repository(host, payload.repo_ref)
    stored = ctx.task.payload
    if (ignored := config_refusal(ctx.task.kind, stored, setup.config)) is not None:
        log.info("task %s %s", ctx.task.id, ignored)
        return {"ignored": ignored}
    policy = TrustPolicy(host, SqlRefusalLedger(worker.database))
    decision = policy.check_task(ctx.task.kind, stored, setup.config.trust)
    if not decision.allowed:
        reply = decision.reply
        number = getattr(payload, "number", None)
        if reply is not None and number is not None:
            ctx.once(
                f"task:{ctx.task.id}:refusal",
                lambda: {"id": host.comment(payload.repo_ref, int(number), reply).id},
            )
        log.info("task refused: %s", decision.reason)
        return {"refused": decision.reason}
    loaded = setup.loaded
    record = AdmissionRecord(
        task=ctx.task.id,
        reason=decision.reason,
        config_ref=loaded.ref,
        config_sha=setup.sha,
        # An invalid file's settings do not apply (the defaults do until it is fixed).
        config={} if loaded.error else dict(loaded.overrides),
    )
    return Admission(setup, record)


def admitted(deps: FlowDeps, flow: IngressFlow) -> Handler:
    """The queue's handler for an ingress kind: admission, then `flow` with its outcome."""

    def handle(ctx: TaskContext) -> dict[str, Any]:
        payload = typed_payload(ctx)
        decided = admit(deps, ctx, payload)
        if not isinstance(decided, Admission):
            return decided
        return {**flow(deps, ctx, payload, decided), "admitted": decided.summary()}

    return handle


def _from_earlier_release(deps: FlowDeps, task: TaskSnapshot, stage: IssueTaskPayload) -> Admission:
    """A team task queued by the release before admissions, still in flight after an
    upgrade. That release checked its issue's trigger before creating it and read the
    config for every task; this reads it once, and stores the admission in the task's
    payload (now the current version), so the tasks it creates inherit it."""
    worker = deps.worker
    repo = RepoRef.parse(stage.repo)
    setup = worker.repository(worker.hosts(stage.installation_id), repo)
    loaded = setup.loaded
    record = AdmissionRecord(
        task=task.id,
        reason="queued by an earlier release, which checked its trigger",
        config_ref=loaded.ref,
        config_sha=setup.sha,
        config={} if loaded.error else dict(loaded.overrides),
    )
    upgraded = stage.model_copy(update={"v": ISSUE_TASK_VERSION, "admission": record})
    with worker.database.session() as session:
        replace_payload(session, task.id, upgraded.dump())
    return Admission(setup, record)


def inherited(deps: FlowDeps, task: TaskSnapshot) -> Admission:
    """A team task's admission: the one its issue's starting task got, carried in its
    payload. A team task without one was never admitted, and does not run (unless an
    earlier release queued it: see `_from_earlier_release`, after which the task's stored
    payload carries the admission; read the task again)."""
    try:
        stage = stage_of(task.payload)
        repo = RepoRef.parse(stage.repo)
    except (ValidationError, ValueError) as exc:
        raise PermanentTaskError(
            f"task {task.id} has no issue in its payload ({exc}); create issue tasks with "
            "agents.team.issue_flow.start_issue"
        ) from None
    record = stage.admission
    if record is None and stage.before_admissions:
        return _from_earlier_release(deps, task, stage)
    if record is None:
        raise PermanentTaskError(
            f"task {task.id} ({task.kind}) carries no admission: no admitted trigger started "
            "it (or a release before admissions queued it). Trigger the issue's work again "
            "(label it or comment /plan) so it is checked and started anew."
        )
    return Admission(deps.worker.repositories.admitted(repo, record), record)
