"""What a role is told before it starts, beyond its task: a map of the repository for the
roles that plan or write code, and for the roles that run tests how to run them and what
the command sandbox keeps between calls (the repository, the task's scratch directory) and
what the repository's environment gives it.

Without these a model spends its first calls discovering the layout, the interpreter and
the test runner, and loses work it left in a directory the sandbox wipes.
"""

from __future__ import annotations

from agents.context.repo_map import DEFAULT_MAP_TOKENS, repository_map
from agents.env.plan import EnvironmentPlan
from agents.roles.types import Role
from agents.team.deps import TeamDeps
from agents.team.environment import environment_plan
from agents.team.ports import Workspace

# Planners (project manager, architect, tech lead) and developers get the map.
MAP_ROLES = frozenset(
    {
        "project_manager",
        "architect",
        "tech_lead",
        "backend_developer",
        "frontend_developer",
        "devops",
    }
)


def runs_tests(role: Role) -> bool:
    """Roles with the command tool: developers, QA and DevOps run the tests; the project
    manager reproduces a bug with them; the reviewer checks a claim."""
    return "run_command" in role.tools


def sandbox_facts(deps: TeamDeps, role: Role, plan: EnvironmentPlan) -> str:
    """The truth about `run_command` for this role, from the sandbox it will get."""
    isolated = deps.runner.status(deps.sandbox).name == "bwrap"
    if role.writes_code:
        kept = "The repository (your working directory) persists between calls"
    else:
        kept = "The repository is mounted read-only for your commands"
    facts = [
        f"{kept}. HOME and TMPDIR point to this task's scratch directory, outside the "
        "repository, which is also kept between your calls (a download cache or a file "
        "made there is still there next call); nothing else outside the repository "
        "persists.",
        "Each call is a new `bash -c`: `cd` and exported variables do not carry over "
        "(use the `cwd` argument, or chain commands with &&).",
        environment_facts(deps, plan),
    ]
    if not isolated:
        facts.append("Commands are limited in time, CPU, memory and output.")
    else:
        facts.append(
            "There is no network (nothing can be installed from a package registry) and "
            "no credentials; time, CPU, memory and output are limited."
        )
    return "What the command sandbox keeps: " + " ".join(facts)


def branch_state(ws: Workspace) -> str:
    """Where the work tree stands: later tasks must not mistake committed work for none."""
    return (
        f"Your work tree is branch `{ws.branch}`: the work of earlier tasks is already "
        f"committed on it, on top of `{ws.base}` at {ws.base_sha[:12]}. The `diff` tool shows "
        "the whole change against that base; `git stash` or a clean work tree does not undo "
        f"committed work (compare with `git diff {ws.base_sha[:12]}` or "
        f"`git show {ws.base_sha[:12]}:PATH`)."
    )


def environment_facts(deps: TeamDeps, plan: EnvironmentPlan) -> str:
    """What the repository's environment gives commands (its setup step, or the job's)."""
    if deps.job_environ is not None:
        return "Commands find the tools the workflow job installed on their PATH."
    if not plan.setup:
        return (
            "The repository has no setup step, so only what the system has installed is available."
        )
    commands = "; ".join(f"`{c}`" for c in plan.setup)
    return (
        f"Before your first command the repository's setup step ({commands}) runs with "
        "network into a virtualenv that is first on PATH for every later command; it is "
        "read-only, so a dependency it lacks belongs in the setup, not in a `pip install`."
    )


def test_instructions(deps: TeamDeps, role: Role, ws: Workspace) -> str:
    plan = environment_plan(deps, ws.root)
    return (
        f"How to run the tests: `{plan.test_command}` ({plan.test_source()}), with "
        "`run_command` from the repository root. The team's QA check runs exactly this "
        "command on the branch when the work is done.\n" + sandbox_facts(deps, role, plan)
    )


def orientation(
    deps: TeamDeps,
    role: Role,
    ws: Workspace,
    task: str,
    *,
    map_tokens: int = DEFAULT_MAP_TOKENS,
) -> tuple[str, ...]:
    """The blocks for the role's first request, in reading order."""
    blocks = []
    if runs_tests(role):
        blocks.append(test_instructions(deps, role, ws))
    if "diff" in role.tools:
        blocks.append(branch_state(ws))
    if role.name in MAP_ROLES:
        blocks.append(repository_map(ws.root, task, max_tokens=map_tokens))
    return tuple(blocks)
