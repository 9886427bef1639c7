"""The task handlers of every kind ingress creates, and of the team's own tasks.

Each ingress task is checked against the trust policy first (write actions need write
access; one polite refusal per person), the repository's config is read from its default
branch, and then the team flow runs. Issue work (`issue.triage`, `/plan`, `/implement`)
becomes the team's task DAG (`plan` -> work -> `finalize` -> `qa` -> `review` [-> `fix`]),
whose tasks run on the same queue. Pull request work runs inside the ingress task.

    register_flows(services, registry)   # called by the registry factory
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from agents.env.task import job_variables
from agents.githost import RepoRef
from agents.team import pulls
from agents.team.deps import FlowError, IssueRef
from agents.team.deps import TaskCancelledError as TeamCancelled
from agents.team.environment import task_scratch
from agents.team.failures import task_failed
from agents.team.forks import pull_head_branch
from agents.team.group_commands import issue_status, stop_issue
from agents.team.issue_flow import start_issue
from agents.team.kinds import TEAM_KINDS, handlers
from agents.team.locks import PathsBusyError
from bot.github.app_auth import GitHubAuthError
from bot.github.hosts import GitHubHosts
from bot.index_lane import IndexLane
from bot.indexing import index_repository
from bot.queue.base import TaskQueue
from bot.queue.handlers import (
    HandlerRegistry,
    PermanentTaskError,
    TaskCancelledError,
    TaskContext,
    TaskDeferredError,
    TaskInfo,
)
from bot.repository_cache import RepositorySetup
from bot.role_models import llm_models
from bot.services import Services
from bot.worker_deps import HostFactory, WorkerDeps
from bot.workspace_sweep import workspaces_root
from storage.sql.database import Database
from storage.task_graph import TaskSnapshot, load_task
from webhooks import intents as k
from webhooks.config_gate import config_refusal
from webhooks.loop_guard import LoopGuard
from webhooks.task_payloads import (
    CheckFixTask,
    CommentTask,
    IssueTriage,
    PayloadError,
    PullRequestTask,
    ReviewFixTask,
    TaskPayload,
    load_payload,
)
from webhooks.trust import SqlRefusalLedger, TrustPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flows:
    worker: WorkerDeps
    queue: TaskQueue
    index: Callable[[TaskContext, WorkerDeps], dict[str, Any]]
    # Caps the changes events the bot does not cause itself can start (a failing CI check).
    guard: LoopGuard

    def snapshot(self, ctx: TaskContext) -> TaskSnapshot:
        with self.worker.database.session() as session:
            return load_task(session, ctx.task.id)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Team errors as the queue understands them."""
    try:
        yield
    except PathsBusyError as exc:
        raise TaskDeferredError(str(exc), retry_after_seconds=exc.retry_after_seconds) from exc
    except TeamCancelled as exc:
        raise TaskCancelledError(str(exc)) from exc
    except FlowError as exc:
        raise PermanentTaskError(str(exc)) from exc


def _payload(ctx: TaskContext) -> TaskPayload:
    """The task's typed payload, whichever release queued it."""
    try:
        return load_payload(ctx.task.kind, ctx.task.payload)
    except PayloadError as exc:
        raise PermanentTaskError(str(exc)) from None


def _checked(
    flows: Flows, ctx: TaskContext, payload: TaskPayload
) -> tuple[RepositorySetup, dict[str, Any] | None]:
    """The repository's current config and team, and None when that config wants this
    task and its author may start it; else why not (a refusal is replied to once; a task
    the config does not want is ignored silently, as ingress would have)."""
    worker = flows.worker
    host = worker.hosts(payload.installation_id)
    setup = worker.repository(host, payload.repo_ref)
    stored = ctx.task.payload
    if (ignored := config_refusal(ctx.task.kind, stored, setup.config)) is not None:
        log.info("task %s %s", ctx.task.id, ignored)
        return setup, {"ignored": ignored}
    policy = TrustPolicy(host, SqlRefusalLedger(worker.database))
    decision = policy.check_task(ctx.task.kind, stored, setup.config.trust)
    if decision.allowed:
        return setup, None
    reply = decision.reply
    number = getattr(payload, "number", None)
    if reply is not None and number is not None:
        ctx.once(
            f"task:{ctx.task.id}:refusal",
            lambda: {"id": host.comment(payload.repo_ref, int(number), reply).id},
        )
    log.info("task refused: %s", decision.reason)
    return setup, {"refused": decision.reason}


def run_team_task(flows: Flows, ctx: TaskContext) -> dict[str, Any] | None:
    task = flows.snapshot(ctx)
    issue = IssueRef.of(task)
    deps = flows.worker.team(issue.installation_id, issue.repo)
    with translated_errors(), task_scratch(deps, task.id):
        return handlers(deps)[task.kind](task)


def report_team_failure(flows: Flows, task: TaskInfo, error: str) -> None:
    """A team task failed for good: tell its issue what failed and what was not done, and
    remove the checkout it left."""
    repo = RepoRef.parse(str(task.payload["repo"]))
    installation = task.payload.get("installation_id")
    deps = flows.worker.team(None if installation is None else int(installation), repo)
    task_failed(deps, task.id, error)


def discard_checkout(flows: Flows, task: TaskInfo, error: str) -> None:
    """A pull request task failed for good: remove the checkout it left (its failure is
    recorded on the task; nothing will continue in that checkout)."""
    flows.worker.discard_task(RepoRef.parse(str(task.payload["repo"])), task.id)


def start_issue_flow(flows: Flows, ctx: TaskContext) -> dict[str, Any]:
    payload = _payload(ctx)
    assert isinstance(payload, IssueTriage | CommentTask)
    if (refused := _checked(flows, ctx, payload)[1]) is not None:
        return refused
    repo, number = payload.repo_ref, payload.number
    host = flows.worker.hosts(payload.installation_id)
    # The issue text recorded (sanitized) when the trigger arrived, never a fresh fetch:
    # the author was just found trusted for that trigger, not for later edits.
    if payload.issue_body is None:
        raise PermanentTaskError(
            f"the task has no recorded issue text for #{number}; trigger the work again "
            "(label the issue or comment the command) so the current text is recorded"
        )
    plan = start_issue(
        flows.worker.database,
        repo=repo,
        number=number,
        title=payload.issue_title or f"Issue #{number}",
        body=payload.issue_body,
        base=host.default_branch(repo),
        project_id=ctx.task.project_id,
        installation_id=payload.installation_id,
    )
    flows.queue.enqueue([plan])
    return {"plan_task": plan}


def stop(flows: Flows, ctx: TaskContext) -> dict[str, Any]:
    return _group_command(flows, ctx, stop_issue)


def status(flows: Flows, ctx: TaskContext) -> dict[str, Any]:
    return _group_command(flows, ctx, issue_status)


def _group_command(
    flows: Flows, ctx: TaskContext, act: Callable[[Database, str], str]
) -> dict[str, Any]:
    """`/stop` and `/status`: act on the issue's or pull request's task group, reply once."""
    payload = _payload(ctx)
    assert isinstance(payload, CommentTask)
    if (refused := _checked(flows, ctx, payload)[1]) is not None:
        return refused
    group = payload.target_group or k.issue_group(payload.repo, payload.number)
    text = act(flows.worker.database, group)
    host = flows.worker.hosts(payload.installation_id)
    ctx.once(
        f"task:{ctx.task.id}:reply",
        lambda: {"id": host.comment(payload.repo_ref, payload.number, text).id},
    )
    return {"group": group, "reply": text}


PullPayload = PullRequestTask | ReviewFixTask | CheckFixTask | CommentTask


def _thread(ctx: TaskContext, flows: Flows, payload: PullPayload) -> IssueRef:
    """The issue or pull request the task is about, as the team sees it."""
    repo, number = payload.repo_ref, payload.number
    host = flows.worker.hosts(payload.installation_id)
    head, base = payload.head_ref, None
    head_repo = None if isinstance(payload, CheckFixTask) else payload.head_repo
    is_pull = True
    if isinstance(payload, PullRequestTask):
        base = payload.base_ref
        title, text = payload.issue_title, payload.issue_body
    elif isinstance(payload, CommentTask):
        is_pull = payload.is_pull_request
        title, text = "", payload.comment or payload.request or ""
    else:
        title, text = "", payload.comment if isinstance(payload, ReviewFixTask) else ""
    if is_pull and (head is None or base is None):
        pr = host.pull_request(repo, number)
        head, base, head_repo = head or pr.head, base or pr.base, pr.head_repo
    if is_pull and head_repo and head_repo != repo.full_name:
        head = pull_head_branch(number)  # a fork's branch: only its PR ref is reachable
    return IssueRef(
        repo,
        number,
        title,
        text,
        str(head or host.default_branch(repo)),
        str(base or host.default_branch(repo)),
        payload.installation_id,
        group=ctx.task.group_key,
    )


def on_pull(flows: Flows, action: str, ctx: TaskContext) -> dict[str, Any]:
    """`pr.review`, `pr.qa`, `pr.fix`, `check.fix`, `/review`, `/test`, and mentions."""
    payload = _payload(ctx)
    assert isinstance(payload, PullPayload)
    setup, refused = _checked(flows, ctx, payload)
    if refused is not None:
        return refused
    task = flows.snapshot(ctx)
    thread = _thread(ctx, flows, payload)
    deps = flows.worker.team(thread.installation_id, thread.repo, setup)
    role = deps.role(task.role or "backend_developer")
    request = thread.body
    comment_id = payload.review_comment_id if isinstance(payload, CommentTask) else None
    with translated_errors(), task_scratch(deps, task.id):
        if action == "review":
            return pulls.review_pull(deps, task, thread, deps.role("code_reviewer"))
        if action == "qa":
            return pulls.check_pull(deps, task, thread)
        if action == "fix":
            if isinstance(payload, CheckFixTask):
                if not flows.guard.allow(thread.repo.full_name, thread.number):
                    log.warning(
                        "task %s: too many automatic fixes on %s", task.id, thread.group_key
                    )
                    return {"skipped": "the hourly cap of automatic fixes for this pull request"}
                request = f"The check `{payload.check_name}` failed; fix it. {request}"
            return pulls.fix_pull(deps, task, thread, role, request, review_comment_id=comment_id)
        # A mention: ingress decided whether it asks for a change (a fix) or an answer.
        assert isinstance(payload, CommentTask)
        request = payload.request or payload.comment
        if payload.wants_change:
            fixer = role if role.writes_code else deps.role("backend_developer")
            return pulls.fix_pull(deps, task, thread, fixer, request, review_comment_id=comment_id)
        answerer = deps.role(task.role or "project_manager")
        return pulls.answer(deps, task, thread, answerer, request, review_comment_id=comment_id)


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
    # One index lane per process: index builds run there, one at a time, at low priority.
    lane = IndexLane()
    flows = Flows(
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
        index=lambda ctx, worker: index_repository(services, worker, ctx, lane),
        guard=LoopGuard(services.kv.rates),
    )
    for kind in TEAM_KINDS:
        registry.register(kind, partial(run_team_task, flows))
        registry.on_failure(kind, partial(report_team_failure, flows))
    for kind in (k.ISSUE_TRIAGE, k.COMMAND_PLAN, k.COMMAND_IMPLEMENT):
        registry.register(kind, partial(start_issue_flow, flows))
    registry.register(k.COMMAND_STOP, partial(stop, flows))
    registry.register(k.COMMAND_STATUS, partial(status, flows))
    registry.register(k.PR_REVIEW, partial(on_pull, flows, "review"))
    registry.register(k.COMMAND_REVIEW, partial(on_pull, flows, "review"))
    registry.register(k.PR_QA, partial(on_pull, flows, "qa"))
    registry.register(k.COMMAND_TEST, partial(on_pull, flows, "qa"))
    registry.register(k.PR_FIX, partial(on_pull, flows, "fix"))
    registry.register(k.CHECK_FIX, partial(on_pull, flows, "fix"))
    registry.register(k.MENTION_ANSWER, partial(on_pull, flows, "mention"))
    for kind in (k.PR_FIX, k.CHECK_FIX, k.MENTION_ANSWER):
        # The kinds that may edit in a task checkout of their own.
        registry.on_failure(kind, partial(discard_checkout, flows))
    registry.register(k.REPO_INDEX, lambda ctx: flows.index(ctx, flows.worker))
