"""Every task kind and its flow, in one table; `register_flows` hands them to the queue.

Ingress kinds run after their admission (`bot.flows.admission.admitted`); the team's own
kinds run with the admission their issue's starting task got (`bot.flows.team_tasks`).

    register_flows(services, registry)   # called by the registry factory
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import partial
from typing import Any

from agents.env.task import job_variables
from agents.team.kinds import TEAM_KINDS
from bot.flows.admission import IngressFlow, admitted
from bot.flows.flow_deps import FlowDeps
from bot.flows.index_task import index_handler
from bot.flows.issue_start import start_issue_work
from bot.flows.mention_reply import reply_to_mention
from bot.flows.pull_fix import fix_failing_check, fix_requested
from bot.flows.pull_qa import run_pull_checks
from bot.flows.pull_review import review
from bot.flows.pull_thread import discard_checkout
from bot.flows.stop_and_status import status, stop
from bot.flows.team_tasks import report_team_failure, run_team_task
from bot.github.app_auth import GitHubAuthError
from bot.github.hosts import GitHubHosts
from bot.index_lane import IndexLane
from bot.queue.handlers import HandlerRegistry, PermanentTaskError
from bot.role_models import llm_models
from bot.services import Services
from bot.worker_deps import HostFactory, WorkerDeps
from bot.workspace_sweep import workspaces_root
from webhooks import intents as k
from webhooks.loop_guard import LoopGuard

# Ingress kind -> its flow (run once the task is admitted).
INGRESS_FLOWS: dict[str, IngressFlow] = {
    k.ISSUE_TRIAGE: start_issue_work,
    k.COMMAND_PLAN: start_issue_work,
    k.COMMAND_IMPLEMENT: start_issue_work,
    k.COMMAND_STOP: stop,
    k.COMMAND_STATUS: status,
    k.PR_REVIEW: review,
    k.COMMAND_REVIEW: review,
    k.PR_QA: run_pull_checks,
    k.COMMAND_TEST: run_pull_checks,
    k.PR_FIX: fix_requested,
    k.CHECK_FIX: fix_failing_check,
    k.MENTION_ANSWER: reply_to_mention,
}
# The ingress kinds that may edit in a task checkout of their own.
EDITING_KINDS = (k.PR_FIX, k.CHECK_FIX, k.MENTION_ANSWER)


def default_hosts(services: Services) -> HostFactory:
    """Hosts acting as the GitHub App. Built on first use, so a service without App
    settings (e.g. chat only) starts, and a GitHub task then fails with the fix."""
    built: list[GitHubHosts] = []
    lock = threading.Lock()

    def for_installation(installation_id: int | None) -> Any:
        if installation_id is None:
            raise PermanentTaskError(
                "the task has no installation id; it must come from a GitHub App webhook"
            )
        with lock:
            if not built:
                try:
                    built.append(GitHubHosts.from_settings(services.settings, services.kv.cache))
                except GitHubAuthError as exc:
                    raise PermanentTaskError(str(exc)) from None
        return built[0].for_installation(installation_id)

    return for_installation


def register_flows(
    services: Services,
    registry: HandlerRegistry,
    *,
    hosts: HostFactory | None = None,
    worker: WorkerDeps | None = None,
    job_environ: Mapping[str, str] | None = None,
) -> None:
    """Register a handler for every ingress task kind and every team task kind.

    `job_environ` (Action mode): the job's environment, whose PATH commands use as it is.
    """
    deps = FlowDeps(
        services=services,
        worker=worker
        or WorkerDeps(
            settings=services.settings,
            database=services.database,
            locks=services.kv.locks,
            hosts=hosts or default_hosts(services),
            models=llm_models(services.llm),
            workspace_root=workspaces_root(services.settings.data_dir),
            job_environ=None if job_environ is None else job_variables(job_environ),
            vectors=services.vectors,
        ),
        queue=services.queue,
        lane=IndexLane(),
        guard=LoopGuard(services.kv.rates),
    )
    for kind, flow in INGRESS_FLOWS.items():
        registry.register(kind, admitted(deps, flow))
    for kind in EDITING_KINDS:
        registry.on_failure(kind, partial(discard_checkout, deps))
    registry.register(k.REPO_INDEX, index_handler(deps))
    for kind in TEAM_KINDS:
        registry.register(kind, partial(run_team_task, deps))
        registry.on_failure(kind, partial(report_team_failure, deps))
