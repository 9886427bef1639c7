"""A task's environment from the team's dependencies: the repository's config (or what
detection infers) over its workspace, prepared by the team's `EnvironmentStore`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agents.env.plan import EnvironmentConfig, EnvironmentPlan, plan_environment
from agents.env.task import JobEnvironment, TaskEnvironment
from agents.githost import RepoRef
from agents.team.deps import TeamDeps
from agents.team.ports import Workspace
from agents.team.qa import TestReport, run_tests

JOB_NOTE = (
    "No setup step: in a GitHub Action the job's environment is used as it is (install "
    "the repository's dependencies in a workflow step before CodeMonkey's)."
)


def environment_plan(deps: TeamDeps, root: Path) -> EnvironmentPlan:
    config = EnvironmentConfig(
        setup=deps.setup_commands,
        test_command=deps.test_command,
        test_origin=deps.test_command_origin,
    )
    if deps.job_environ is not None:
        plan = plan_environment(root, dataclasses.replace(config, setup=()))
        return dataclasses.replace(plan, setup_note=JOB_NOTE)
    return plan_environment(root, config)


def task_environment(
    deps: TeamDeps, repo: RepoRef, ws: Workspace, task_id: int | None
) -> TaskEnvironment | JobEnvironment:
    if deps.job_environ is not None:
        return JobEnvironment(deps.environments, task_id=task_id, environ=deps.job_environ)
    return TaskEnvironment(
        deps.environments,
        repo=repo.full_name,
        workspace=ws.root,
        plan=environment_plan(deps, ws.root),
        runner=deps.runner,
        task_id=task_id,
        git=ws.git_layout,
    )


def run_checks(deps: TeamDeps, repo: RepoRef, ws: Workspace, task_id: int) -> TestReport:
    """The repository's tests on the workspace, in the task's environment: the QA check of
    the team's pull requests and of a person's."""
    plan = environment_plan(deps, ws.root)
    return run_tests(
        deps.runner,
        ws.root,
        plan.test_command,
        deps.sandbox,
        git=ws.git_layout,
        environment=task_environment(deps, repo, ws, task_id),
        statement=plan.statement(),
    )


@contextmanager
def task_scratch(deps: TeamDeps, task_id: int) -> Iterator[None]:
    """The task's scratch directory is deleted when it ends, however it ends."""
    try:
        yield
    finally:
        deps.environments.discard_scratch(task_id)
