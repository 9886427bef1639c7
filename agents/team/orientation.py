"""What a role is told before it starts, beyond its task: a map of the repository for the
roles that plan or write code, and for the roles that run tests how to run them and what
the command sandbox keeps between calls.

Without these a model spends its first calls discovering the layout, the interpreter and
the test runner, and loses work it left in a directory the sandbox wipes.
"""

from __future__ import annotations

from agents.context.repo_map import DEFAULT_MAP_TOKENS, repository_map
from agents.roles.types import Role
from agents.team.deps import TeamDeps
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


def sandbox_facts(deps: TeamDeps, role: Role) -> str:
    """The truth about `run_command` for this role, from the sandbox it will get."""
    isolated = deps.runner.status(deps.sandbox).name == "bwrap"
    if role.writes_code:
        kept = "The repository (your working directory) persists between calls"
    else:
        kept = "The repository is mounted read-only for your commands"
    facts = [
        f"{kept}; nothing outside it does. HOME and TMPDIR point to a temporary "
        "directory that is emptied after every call, so a virtualenv, a download cache or "
        "a file made in /tmp is gone by the next call: keep what you need inside the "
        "repository and do not commit it.",
        "Each call is a new `bash -c`: `cd` and exported variables do not carry over "
        "(use the `cwd` argument, or chain commands with &&).",
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


def test_instructions(deps: TeamDeps, role: Role) -> str:
    origin = f" (from {deps.test_command_origin})" if deps.test_command_origin else ""
    return (
        f"How to run the tests: `{deps.test_command}`{origin}, with `run_command` from the "
        "repository root. The team's QA check runs exactly this command on the branch "
        "when the work is done.\n" + sandbox_facts(deps, role)
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
        blocks.append(test_instructions(deps, role))
    if "diff" in role.tools:
        blocks.append(branch_state(ws))
    if role.name in MAP_ROLES:
        blocks.append(repository_map(ws.root, task, max_tokens=map_tokens))
    return tuple(blocks)
