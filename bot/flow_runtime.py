"""What a flow needs for one task on GitHub: the installation's host, the repository's
config and roles, a clone with worktrees, token-safe push, and the team's dependencies.

`FlowRuntime` is built once per process from the services; `hosts` (installation id ->
GitHost) is the one injectable seam, so tests hand in hosts talking to the fake GitHub.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agents.env.store import EnvironmentStore
from agents.githost import GitHost, RepoRef
from agents.providers.llm import LLM
from agents.providers.types import ChatMessage, ChatOptions, ChatResponse
from agents.roles import Role, apply_overrides, load_roles
from agents.roles.types import ModelLayers
from agents.runtime.budget import BudgetLimits
from agents.runtime.loop import LoopConfig
from agents.team import sweep as tasksweep
from agents.team.agent import AgentDeps
from agents.team.deps import TeamDeps
from agents.team.forks import ForkPushRefusedError
from agents.team.ports import ModelResolver, Workspace
from agents.tools.defaults import workspace_registry
from bot.agent_models import repository_agent_rows
from bot.clone_workspaces import CloneWorkspaces, GitHubBranchRemote, checkout_dirs
from bot.code_index import index_search
from bot.config_store import remember_config
from bot.github import git as github_git
from bot.sandbox import repository_sandbox, sandbox_runner
from bot.settings import Settings
from storage.kv.base import LockManager
from storage.sql.database import Database
from storage.vectors.base import VectorStore
from webhooks.repo_config import LoadedConfig, RepoConfig, load_repo_config

HostFactory = Callable[[int | None], GitHost]


class LLMModel:
    """A `ModelClient` that sends every call through the `LLM` facade with one model ref
    (fallbacks, retries, usage and cost recording included)."""

    def __init__(self, llm: LLM, ref: str) -> None:
        self._llm = llm
        self._ref = ref

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        return await self._llm.chat(self._ref, messages, options)


# The model resolver for one task, given what decides each role's model there.
ModelResolvers = Callable[[ModelLayers], ModelResolver]


def llm_models(llm: LLM) -> ModelResolvers:
    def for_layers(layers: ModelLayers) -> ModelResolver:
        def resolve(role: Role) -> tuple[LLMModel, str]:
            ref = layers.choose(role).ref
            return LLMModel(llm, ref), ref

        return resolve

    return for_layers


def _sibling_url(base_url: str, repo: RepoRef, other: str) -> str:
    """The clone URL of `other` on the same host as `repo`'s (a private fork may not be
    readable over the API with the installation's token, but its git URL is known)."""
    suffix = f"/{repo.full_name}.git"
    if not base_url.endswith(suffix):
        raise ForkPushRefusedError(f"cannot derive the fork's URL from {base_url}")
    return f"{base_url.removesuffix(suffix)}/{other}.git"


@dataclass
class FlowRuntime:
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
    _workspaces: dict[str, CloneWorkspaces] = field(default_factory=dict)
    _environments: EnvironmentStore | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def config(self, host: GitHost, repo: RepoRef) -> LoadedConfig:
        defaults = RepoConfig.defaults(
            trigger_label=self.settings.trigger_label, role_models=self.settings.role_models
        )
        loaded = load_repo_config(host, repo, defaults=defaults)
        # Ingress routes with this copy; every read refreshes it (a push to the default
        # branch runs an index task, which reads the file, so edits reach ingress).
        remember_config(self.database, repo.full_name, loaded)
        return loaded

    def roles(self, config: RepoConfig) -> dict[str, Role]:
        """The team of a repository: every role but those its config disables (the
        project manager always stays: it owns every plan), with its model overrides."""
        # The config's role names are canonical (resolved when it was parsed).
        overrides = {
            name: {"model": entry.model} for name, entry in config.roles.items() if entry.model
        }
        disabled = {name for name, entry in config.roles.items() if not entry.enabled}
        roles = apply_overrides(load_roles(), overrides)
        return {n: r for n, r in roles.items() if n not in disabled or r.tier == "pm"}

    def workspaces(self, host: GitHost, repo: RepoRef, config: RepoConfig) -> CloneWorkspaces:
        with self._lock:
            made = self._workspaces.get(repo.full_name)
            if made is None:
                made = CloneWorkspaces(self.workspace_root, host, repo, config.protected_paths)
                self._workspaces[repo.full_name] = made
            return made

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

    def environments(self) -> EnvironmentStore:
        """Prepared environments under the data directory, shared by every task."""
        with self._lock:
            if self._environments is None:
                self._environments = EnvironmentStore(self.settings.data_dir / "env")
                # The worker's first task: what a worker that died left behind goes.
                self._environments.sweep_scratch(self.settings.scratch_max_age_hours * 3600)
            return self._environments

    def model_layers(self, repo: RepoRef) -> ModelLayers:
        """What decides each role's model in `repo`: read once per task, so a model set
        through the API applies from the next task on."""
        with self.database.session() as session:
            rows = repository_agent_rows(session, repo.full_name)
        return rows.layers(self.settings.default_model, self.settings.role_models)

    def team(self, installation_id: int | None, repo: RepoRef) -> TeamDeps:
        host = self.hosts(installation_id)
        config = self.config(host, repo).config
        limits = BudgetLimits(
            max_steps=config.budgets.max_steps,
            max_task_tokens=min(config.budgets.max_tokens, self.settings.agent_max_task_tokens),
            max_task_usd=min(config.budgets.max_cost_usd, self.settings.agent_max_task_usd),
            max_issue_tokens=self.settings.agent_max_issue_tokens,
            max_issue_usd=self.settings.agent_max_issue_usd,
            max_task_seconds=self.settings.agent_max_task_seconds,
        )

        runner = sandbox_runner(self.settings)

        def push_fork(ws: Workspace, fork: str, branch: str) -> None:
            # The installation's token: GitHub accepts it on a fork's PR branch only when
            # the fork allows edits from maintainers.
            url = _sibling_url(host.clone_url(repo), repo, fork)
            try:
                github_git.push(
                    ws.git_layout,
                    ws.branch,
                    host.git_token(repo),
                    url=url,
                    to=branch,
                    source="HEAD",  # the task's own checkout: its task branch's head
                )
            except github_git.GitOperationError as exc:
                raise ForkPushRefusedError(str(exc)) from None

        return TeamDeps(
            push_fork=push_fork,
            agents=AgentDeps(
                self.database, self.models(self.model_layers(repo)), LoopConfig(limits=limits)
            ),
            host=host,
            roles=self.roles(config),
            workspaces=self.workspaces(host, repo, config),
            remote=GitHubBranchRemote(host, repo),
            locks=self.locks,
            tools=workspace_registry(runner),
            runner=runner,
            protected_paths=tuple(
                dict.fromkeys([*self.settings.protected_paths, *config.protected_paths])
            ),
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
