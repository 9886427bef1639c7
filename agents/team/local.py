"""Local mode: the team works on a local git repository, no GitHub; the result is a branch.

The request plays the issue, `LocalHost` records what would be posted, worktrees live in
the data directory and are removed at the end (the branch stays), and the task DAG runs
on the in-process scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import select

from agents.env.store import EnvironmentStore
from agents.git.process import GitError, git_output
from agents.githost import RepoRef
from agents.roles.types import Role
from agents.runtime.loop import LoopConfig
from agents.runtime.ports import EventSink, SearchFn
from agents.team.agent import AgentDeps
from agents.team.deps import TeamDeps
from agents.team.failures import failure_reason, task_failed
from agents.team.gitworkspace import GitWorktrees, LocalBranches
from agents.team.issue_flow import start_issue
from agents.team.issue_task import stage_of
from agents.team.kinds import handlers
from agents.team.localhost import HostRecord, LocalHost
from agents.team.ports import ModelResolver
from agents.team.scheduler import DagScheduler
from agents.tools.base import DEFAULT_PROTECTED_PATHS, SandboxSettings
from agents.tools.defaults import workspace_registry
from storage.agent_steps import AgentStepStore
from storage.kv.memory import MemoryLockManager
from storage.sql.database import Database
from storage.sql.models import Task
from storage.task_graph import TaskSnapshot, group_tasks, load_task


@dataclass(frozen=True)
class LocalResult:
    branch: str
    summary: str
    tasks: list[TaskSnapshot]
    records: list[HostRecord]
    cost_usd: float
    tokens: int
    ok: bool
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_line: str = ""
    # e.g. "$0.42", or "unknown" when the models used have no known price
    cost_text: str = ""
    unpriced_calls: int = 0
    # The branch the work started from (the repository's HEAD branch at the start).
    base: str = ""


class RunInterrupted(Exception):
    """Ctrl-C during the run: the tasks as they stood, the branch and its base."""

    def __init__(self, branch: str, base: str, tasks: list[TaskSnapshot]) -> None:
        super().__init__(f"interrupted; the work is on {branch}")
        self.branch = branch
        self.base = base
        self.tasks = tasks


@dataclass(frozen=True)
class LocalOptions:
    parallelism: int = 2
    loop: LoopConfig = field(default_factory=LoopConfig)
    review_rounds: int = 1
    protected_paths: tuple[str, ...] = DEFAULT_PROTECTED_PATHS
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    # None: detected from the repository (see agents.env.detect).
    test_command: str | None = None
    test_command_origin: str = ""
    setup: tuple[str, ...] | None = None
    # Run on the edited files after every edit (`lint_command` in the repository's config).
    lint_command: str | None = None
    search: SearchFn | None = None
    on_event: EventSink | None = None
    on_record: Callable[[HostRecord], None] | None = None


def _next_number(repo: Path, db: Database) -> int:
    """Local 'issue' numbers continue after the highest `codemonkey/<n>-...` branch and the
    highest number in the database: a run that committed nothing deletes its branch, and its
    number must not be reused (the plan task of that number already exists)."""
    branches = git_output(repo, "branch", "--list", "codemonkey/*", "--format=%(refname:short)")
    numbers = [0]
    for name in branches.split():
        head = name.removeprefix("codemonkey/").split("-", 1)[0]
        if head.isdigit():
            numbers.append(int(head))
    prefix = f"{RepoRef('local', repo.name).full_name}#"
    with db.session() as session:
        keys = session.scalars(
            select(Task.group_key).where(Task.group_key.startswith(prefix, autoescape=True))
        ).all()
    numbers += [int(k.removeprefix(prefix)) for k in keys if k and k.removeprefix(prefix).isdigit()]
    return max(numbers) + 1


def run_local(
    repo: Path,
    request: str,
    *,
    db: Database,
    models: ModelResolver,
    roles: Mapping[str, Role],
    data_dir: Path,
    options: LocalOptions | None = None,
) -> LocalResult:
    """Plan, implement, test and review `request` on a new branch of the repository at `repo`."""
    opts = options or LocalOptions()
    repo = repo.resolve()
    try:
        base = git_output(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    except GitError as exc:
        raise GitError(
            f"{repo} is not a git repository with a commit; run `git init` and commit first ({exc})"
        ) from exc
    title = request.strip().splitlines()[0][:80] if request.strip() else "work"
    host = LocalHost(issue_body=request, default_branch=base, on_record=opts.on_record)
    worktrees = GitWorktrees(
        repo, data_dir / "worktrees" / repo.name, protected_paths=opts.protected_paths
    )

    deps = TeamDeps(
        agents=AgentDeps(db, models, opts.loop, opts.search, opts.on_event),
        host=host,
        roles=roles,
        workspaces=worktrees,
        # Tasks integrate onto the repository's own branch: nothing is pushed anywhere.
        remote=LocalBranches(),
        locks=MemoryLockManager(),
        tools=workspace_registry(),
        protected_paths=opts.protected_paths,
        sandbox=opts.sandbox,
        test_command=opts.test_command,
        test_command_origin=opts.test_command_origin,
        setup_commands=opts.setup,
        lint_command=opts.lint_command,
        environments=EnvironmentStore(data_dir / "env"),
        review_rounds=opts.review_rounds,
        code_index=opts.search,
        # LocalHost records reviews; only GitHub forbids approving one's own PR.
        host_refuses_self_review=False,
    )
    number = _next_number(repo, db)
    plan_id = start_issue(
        db, repo=RepoRef("local", repo.name), number=number, title=title, body=request, base=base
    )
    with db.session() as session:
        plan = load_task(session, plan_id)
    group = plan.group_key or ""
    try:
        scheduler = DagScheduler(
            db,
            handlers(deps),
            parallelism=opts.parallelism,
            on_failure=partial(task_failed, deps, hint=""),
        )
        tasks = scheduler.run_group(group)
    except KeyboardInterrupt:
        with db.session() as session:
            left = group_tasks(session, group)
        raise RunInterrupted(stage_of(plan.payload).branch, base, left) from None
    finally:
        worktrees.close()
        with db.session() as session:
            for task in group_tasks(session, group):
                deps.environments.discard_scratch(task.id)
    spend = AgentStepStore(db).group_spend(group)
    failed = [t for t in tasks if t.state != "succeeded"]
    final = next(
        (t for t in reversed(tasks) if t.result and "summary" in t.result and t.kind == "review"),
        None,
    )
    if final is not None and final.result is not None:
        summary = str(final.result.get("summary", ""))
    elif failed:
        summary = "Not done:\n" + "\n".join(
            f"- #{t.id} {t.title} ({t.role}): {t.state}"
            + (f": {failure_reason(t.error)}" if t.error else "")
            for t in failed
        )
    else:
        summary = str((tasks[0].result or {}).get("summary", "")) if tasks else ""
    return LocalResult(
        branch=stage_of(plan.payload).branch,
        summary=summary,
        tasks=tasks,
        records=list(host.records),
        cost_usd=spend.cost_usd,
        tokens=spend.tokens,
        ok=not failed,
        cache_read_tokens=spend.cache_read_tokens,
        cache_write_tokens=spend.cache_write_tokens,
        cache_line=spend.cache_line(),
        cost_text=spend.cost_text(),
        unpriced_calls=spend.unpriced_calls,
        base=base,
    )
