"""What a worker process builds once and hands to every task's flow.

`WorkerDeps` is built once per process by `bot.flows.flow_table.register_flows`, from the
services: the LLM facade (through `models`), the command sandbox's runner and the
workspace tools, the role files (parsed once, `bot.repository_cache`), the hosts factory,
locks, prepared environments and each repository's clone. `hosts` (installation id ->
GitHost) is the one injectable seam, so tests hand in hosts talking to the fake GitHub.

Per task, `team()` assembles the team's `TeamDeps` from those parts and from the
repository's config and roles the task was admitted with (`bot.flows.admission`;
`RepositoryCache` parses each version of the file once); assembling is cheap and builds
nothing that lasts but the repository's clone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agents.env.store import EnvironmentStore
from agents.githost import GitHost, RepoRef
from agents.roles.types import ModelLayers
from agents.runtime.budget import BudgetLimits
from agents.runtime.loop import LoopConfig
from agents.team import sweep as tasksweep
from agents.team.agent import AgentDeps
from agents.team.deps import TeamDeps
from agents.tools.base import ToolContext, ToolRegistry
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from bot.agent_models import repository_agent_rows
from bot.clone_workspaces import (
    CloneWorkspaces,
    GitHubBranchRemote,
    TaskCheckouts,
    checkout_dirs,
)
from bot.code_index import index_search
from bot.fork_push import fork_pusher
from bot.repository_cache import RepositoryCache, RepositorySetup
from bot.role_models import ModelResolvers
from bot.sandbox_setup import repository_sandbox, sandbox_runner
from bot.settings import Settings
from storage.kv.base import LockManager
from storage.sql.database import Database
from storage.vectors.base import VectorStore
from webhooks.repo_config import RepoConfig

HostFactory = Callable[[int | None], GitHost]


@dataclass
class WorkerDeps:
    settings: Settings
    database: Database
    locks: LockManager
    hosts: HostFactory
    models: ModelResolvers
    workspace_root: Path
    review_rounds: int = 2
    # Action mode: the workflow job's environment, used as it is (no setup step).
    job_environ: Mapping[str, str] | None = None
    # The code index the agents' `search_code` asks; None: text search only.
    vectors: VectorStore | None = None
    runner: SandboxRunner = field(init=False)
    tools: ToolRegistry[ToolContext] = field(init=False)
    repositories: RepositoryCache = field(init=False)
    _workspaces: dict[str, CloneWorkspaces] = field(default_factory=dict)
    _environments: EnvironmentStore | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.runner = sandbox_runner(self.settings)
        # Read-only once built: every task's toolbox wraps it, none registers onto it.
        self.tools = workspace_registry(self.runner)
        self.repositories = RepositoryCache(self.settings, self.database)

    def repository(self, host: GitHost, repo: RepoRef) -> RepositorySetup:
        """The repository's current config and team (`RepositoryCache.read`)."""
        return self.repositories.read(host, repo)

    def clone(self, host: GitHost, repo: RepoRef) -> CloneWorkspaces:
        """The repository's clone on this worker (made once, shared by every task)."""
        with self._lock:
            made = self._workspaces.get(repo.full_name)
            if made is None:
                always = tuple(self.settings.protected_paths)
                made = CloneWorkspaces(self.workspace_root, host, repo, always)
                self._workspaces[repo.full_name] = made
            return made

    def protected_paths(self, config: RepoConfig) -> tuple[str, ...]:
        """What no agent may change: the service's protected paths and the config's."""
        return tuple(dict.fromkeys([*self.settings.protected_paths, *config.protected_paths]))

    def workspaces(self, host: GitHost, repo: RepoRef, config: RepoConfig) -> TaskCheckouts:
        """One task's checkouts of `repo`, protecting what its (admitted) `config` says."""
        return TaskCheckouts(self.clone(host, repo), self.protected_paths(config))

    def discard_task(self, repo: RepoRef, task_id: int) -> None:
        """Remove the checkout and task branch a finished task left in `repo`'s clone here
        (without asking GitHub anything: the clone may never have been opened here)."""
        with self._lock:
            made = self._workspaces.get(repo.full_name)
        if made is not None:
            made.discard_task(task_id)
            return
        clone, worktrees = checkout_dirs(self.workspace_root, repo)
        if (clone / ".git").is_dir():
            tasksweep.discard_task(clone, worktrees, task_id)

    def model_layers(self, repo: RepoRef) -> ModelLayers:
        """What decides each role's model in `repo`: read once per task, so a model set
        through the API applies from the next task on."""
        with self.database.session() as session:
            rows = repository_agent_rows(session, repo.full_name)
        return rows.layers(self.settings.default_model, self.settings.role_models)

    def environments(self) -> EnvironmentStore:
        """Prepared environments under the data directory, shared by every task."""
        with self._lock:
            if self._environments is None:
                self._environments = EnvironmentStore(self.settings.data_dir / "env")
                # The worker's first task: what a worker that died left behind goes.
                self._environments.sweep_scratch(self.settings.scratch_max_age_hours * 3600)
            return self._environments

    def team(self, installation_id: int | None, repo: RepoRef, setup: RepositorySetup) -> TeamDeps:
        """The team's dependencies for one task, made from the config and team the task was
        admitted with (`bot.flows.admission`): the flow never reads the config again."""
        host = self.hosts(installation_id)
        config = setup.config
        limits = BudgetLimits(
            max_steps=config.budgets.max_steps,
            max_task_tokens=min(config.budgets.max_tokens, self.settings.agent_max_task_tokens),
            max_task_usd=min(config.budgets.max_cost_usd, self.settings.agent_max_task_usd),
            max_issue_tokens=self.settings.agent_max_issue_tokens,
            max_issue_usd=self.settings.agent_max_issue_usd,
            max_task_seconds=self.settings.agent_max_task_seconds,
        )
        return TeamDeps(
            push_fork=fork_pusher(host, repo),
            agents=AgentDeps(
                self.database, self.models(self.model_layers(repo)), LoopConfig(limits=limits)
            ),
            host=host,
            roles=setup.roles,
            workspaces=self.workspaces(host, repo, config),
            remote=GitHubBranchRemote(host, repo),
            locks=self.locks,
            tools=self.tools,
            runner=self.runner,
            protected_paths=self.protected_paths(config),
            sandbox=repository_sandbox(self.settings, config.image),
            # The repository's config (None: detected from the workspace, see agents.env).
            test_command=config.test_command,
            setup_commands=config.setup,
            environments=self.environments(),
            job_environ=self.job_environ,
            lint_command=config.lint_command,
            review_rounds=self.review_rounds,
            code_index=None if self.vectors is None else index_search(self.vectors, repo.full_name),
        )
