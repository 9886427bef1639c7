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
from agents.team.commands import issue_status, stop_issue
from agents.team.deps import FlowError, IssueRef
from agents.team.deps import TaskCancelledError as TeamCancelled
from agents.team.failures import report_failure
from agents.team.flows import start_issue
from agents.team.forks import pull_head_branch
from agents.team.handlers import TEAM_KINDS, handlers
from agents.team.locks import PathsBusyError
from bot.flow_runtime import FlowRuntime, HostFactory, agent_role_name, llm_models
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
from bot.services import Services
from storage.task_graph import TaskSnapshot, load_task
from webhooks import intents as k
from webhooks.config_gate import config_refusal
from webhooks.trust import SqlRefusalLedger, TrustPolicy

log = logging.getLogger(__name__)

# A mention on a pull request that asks for a change (rather than a question).
CHANGE_VERBS = ("fix", "change", "update", "implement", "apply", "rename", "add", "remove")


@dataclass(frozen=True)
class Flows:
    runtime: FlowRuntime
    queue: TaskQueue
    index: Callable[[TaskContext, FlowRuntime], dict[str, Any]]

    def snapshot(self, ctx: TaskContext) -> TaskSnapshot:
        with self.runtime.database.session() as session:
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


def _repo(payload: Mapping[str, Any]) -> RepoRef:
    return RepoRef.parse(str(payload["repo"]))


def _installation(payload: Mapping[str, Any]) -> int | None:
    value = payload.get("installation_id")
    return None if value is None else int(value)


def _trusted(flows: Flows, ctx: TaskContext) -> dict[str, Any] | None:
    """None when the repository's config wants this task and its author may start it;
    else why not (a refusal is replied to once; a task the config does not want is
    ignored silently, as ingress would have)."""
    payload = ctx.task.payload
    runtime = flows.runtime
    host = runtime.hosts(_installation(payload))
    config = runtime.config(host, _repo(payload)).config
    if (ignored := config_refusal(ctx.task.kind, payload, config)) is not None:
        log.info("task %s %s", ctx.task.id, ignored)
        return {"ignored": ignored}
    policy = TrustPolicy(host, SqlRefusalLedger(runtime.database))
    decision = policy.check_task(ctx.task.kind, payload, config.trust)
    if decision.allowed:
        return None
    reply = decision.reply
    number = payload.get("number")
    if reply is not None and number is not None:
        ctx.once(
            f"task:{ctx.task.id}:refusal",
            lambda: {"id": host.comment(_repo(payload), int(number), reply).id},
        )
    log.info("task refused: %s", decision.reason)
    return {"refused": decision.reason}


def run_team_task(flows: Flows, ctx: TaskContext) -> dict[str, Any] | None:
    task = flows.snapshot(ctx)
    deps = flows.runtime.team(_installation(task.payload), _repo(task.payload))
    with translated_errors():
        return handlers(deps)[task.kind](task)


def report_team_failure(flows: Flows, task: TaskInfo, error: str) -> None:
    """A team task failed for good: tell its issue what failed and what was not done."""
    deps = flows.runtime.team(_installation(task.payload), _repo(task.payload))
    report_failure(deps, task.id, error)


def start_issue_flow(flows: Flows, ctx: TaskContext) -> dict[str, Any]:
    if (refused := _trusted(flows, ctx)) is not None:
        return refused
    payload = ctx.task.payload
    repo, number = _repo(payload), int(payload["number"])
    host = flows.runtime.hosts(_installation(payload))
    title, body = _pinned_issue(payload, number)
    plan = start_issue(
        flows.runtime.database,
        repo=repo,
        number=number,
        title=title,
        body=body,
        base=host.default_branch(repo),
        project_id=ctx.task.project_id,
        installation_id=_installation(payload),
    )
    flows.queue.enqueue([plan])
    return {"plan_task": plan}


def _pinned_issue(payload: Mapping[str, Any], number: int) -> tuple[str, str]:
    """The issue text recorded (sanitized) when the trigger arrived, never a fresh fetch:
    the author was just found trusted for that trigger, not for later edits."""
    body = payload.get("issue_body")
    if body is None and payload.get("event") == "issues":
        body = payload.get("text")  # recorded before issue_body existed
    if body is None:
        raise PermanentTaskError(
            f"the task has no recorded issue text for #{number}; trigger the work again "
            "(label the issue or comment the command) so the current text is recorded"
        )
    title = payload.get("issue_title") or payload.get("title") or f"Issue #{number}"
    return str(title), str(body)


def stop(flows: Flows, ctx: TaskContext) -> dict[str, Any]:
    if (refused := _trusted(flows, ctx)) is not None:
        return refused
    payload = ctx.task.payload
    group = str(
        payload.get("target_group") or k.issue_group(str(payload["repo"]), int(payload["number"]))
    )
    text = stop_issue(flows.runtime.database, group)
    _reply(flows, ctx, text)
    return {"group": group, "reply": text}


def status(flows: Flows, ctx: TaskContext) -> dict[str, Any]:
    if (refused := _trusted(flows, ctx)) is not None:
        return refused
    payload = ctx.task.payload
    group = str(
        payload.get("target_group") or k.issue_group(str(payload["repo"]), int(payload["number"]))
    )
    text = issue_status(flows.runtime.database, group)
    _reply(flows, ctx, text)
    return {"group": group, "reply": text}


def _reply(flows: Flows, ctx: TaskContext, text: str) -> None:
    payload = ctx.task.payload
    host = flows.runtime.hosts(_installation(payload))
    ctx.once(
        f"task:{ctx.task.id}:reply",
        lambda: {"id": host.comment(_repo(payload), int(payload["number"]), text).id},
    )


def _thread(ctx: TaskContext, flows: Flows) -> IssueRef:
    """The issue or pull request the task is about, as the team sees it."""
    payload = ctx.task.payload
    repo, number = _repo(payload), int(payload["number"])
    host = flows.runtime.hosts(_installation(payload))
    head = payload.get("head_ref")
    base = payload.get("base_ref")
    head_repo = payload.get("head_repo")
    is_pull = payload.get("is_pull_request", head is not None)
    if is_pull and (head is None or base is None or "head_repo" not in payload):
        pr = host.pull_request(repo, number)
        head, base, head_repo = head or pr.head, base or pr.base, pr.head_repo
    if is_pull and head_repo and head_repo != repo.full_name:
        head = pull_head_branch(number)  # a fork's branch: only its PR ref is reachable
    return IssueRef(
        repo,
        number,
        str(payload.get("title") or ""),
        str(payload.get("text") or payload.get("request") or ""),
        str(head or host.default_branch(repo)),
        str(base or host.default_branch(repo)),
        _installation(payload),
        group=ctx.task.group_key,
    )


def on_pull(flows: Flows, action: str, ctx: TaskContext) -> dict[str, Any]:
    """`pr.review`, `pr.qa`, `pr.fix`, `check.fix`, `/review`, `/test`, and mentions."""
    if (refused := _trusted(flows, ctx)) is not None:
        return refused
    payload = ctx.task.payload
    task = flows.snapshot(ctx)
    thread = _thread(ctx, flows)
    deps = flows.runtime.team(thread.installation_id, thread.repo)
    role = deps.role(agent_role_name(task.role, "backend_developer"))
    request = str(payload.get("request") or payload.get("text") or "")
    comment_id = payload.get("review_comment_id")
    with translated_errors():
        if action == "review":
            return pulls.review_pull(deps, task, thread, deps.role("code_reviewer"))
        if action == "qa":
            return pulls.check_pull(deps, task, thread)
        if action == "fix":
            if ctx.task.kind == k.CHECK_FIX:
                request = f"The check `{payload.get('check_name')}` failed; fix it. {request}"
            return pulls.fix_pull(
                deps,
                task,
                thread,
                role,
                request,
                review_comment_id=None if comment_id is None else int(comment_id),
            )
        # A mention: a change request on a pull request is a fix; anything else an answer.
        words = request.strip().lower().split()
        if payload.get("is_pull_request") and words and words[0].strip(":,") in CHANGE_VERBS:
            fixer = deps.role(agent_role_name(task.role, "backend_developer"))
            return pulls.fix_pull(
                deps,
                task,
                thread,
                fixer if fixer.writes_code else deps.role("backend_developer"),
                request,
                review_comment_id=None if comment_id is None else int(comment_id),
            )
        answerer = deps.role(agent_role_name(task.role, "project_manager"))
        return pulls.answer(
            deps,
            task,
            thread,
            answerer,
            request,
            review_comment_id=None if comment_id is None else int(comment_id),
        )


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
    runtime: FlowRuntime | None = None,
    job_environ: Mapping[str, str] | None = None,
) -> None:
    """Register a handler for every ingress task kind and every team task kind.

    `job_environ` (Action mode): the job's environment, whose PATH commands use as it is.
    """
    # One index lane per process: index builds run there, one at a time, at low priority.
    lane = IndexLane()
    flows = Flows(
        runtime=runtime
        or FlowRuntime(
            settings=services.settings,
            database=services.database,
            locks=services.kv.locks,
            hosts=hosts or default_hosts(services),
            models=llm_models(services.llm, services.settings),
            workspace_root=services.settings.data_dir / "workspaces",
            job_environ=None if job_environ is None else job_variables(job_environ),
            vectors=services.vectors,
        ),
        queue=services.queue,
        index=lambda ctx, rt: index_repository(services, rt, ctx, lane),
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
    registry.register(k.REPO_INDEX, lambda ctx: flows.index(ctx, flows.runtime))
