"""What the first request tells an agent about its team and its task's scope.

The role prompts (`agents/roles/*.yml`) name no other role: the team differs per
repository (roles can be disabled), so the roster is rendered from the roles of the run,
and a task's scope (its paths, and whether tests are part of it) from the task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents.roles.types import Role
from agents.team.test_paths import is_test_path

# Tools that address another role by name.
ADDRESSING_TOOLS = ("delegate", "ask")


def roster_block(roles: Mapping[str, Role], me: Role) -> tuple[str, ...]:
    """The team of this run, for a role that can `delegate` or `ask`; nothing otherwise."""
    if not any(tool in me.tools for tool in ADDRESSING_TOOLS):
        return ()
    lines = []
    for role in roles.values():
        if role.name == me.name:
            continue
        what = f": {role.summary}" if role.summary else ""
        lines.append(f"- {role.name} ({role.title}){what}")
    if not lines:
        return ()
    return (
        "Your team on this repository (these are all its roles; address them by these names):\n"
        + "\n".join(lines),
    )


def scope_note(role: Role, paths: Sequence[str]) -> str:
    """The task's paths and whether writing tests is part of it, for a role that edits code."""
    if not paths:
        return ""
    note = (
        "\n\nPaths this task edits: "
        + ", ".join(paths)
        + " (the plan's intent: another file may be edited when the change truly needs it; "
        "that takes its lock and the pull request lists it)."
    )
    if not role.writes_code:
        return note
    if role.name == "qa" or any(is_test_path(p) for p in paths):
        return note + " Tests are part of this task: add or update them in its test paths."
    return note + (
        " None of these paths is a test file: tests are not part of this task, so do not "
        "write them; run the existing tests to check your change."
    )
