"""The one role vocabulary. Roles are named by their role files (`project_manager`,
`backend_developer`, `code_reviewer`, ...) everywhere inside: in `tasks.role`, in task
payloads, in the repository config once parsed, in the settings once loaded. The words
people type (`pm`, `backend`, `reviewer`, `@codemonkey dev ...`) are aliases, resolved
only at the edge: config and settings parsing, comment commands, API input."""

from __future__ import annotations

from functools import cache

from agents.roles import load_roles

# Alias -> the role file's name. Canonical names resolve to themselves without an entry.
ROLE_ALIASES: dict[str, str] = {
    "pm": "project_manager",
    "project-manager": "project_manager",
    "manager": "project_manager",
    "tech-lead": "tech_lead",
    "techlead": "tech_lead",
    "lead": "tech_lead",
    "frontend": "frontend_developer",
    "backend": "backend_developer",
    "developer": "backend_developer",
    "dev": "backend_developer",
    "reviewer": "code_reviewer",
    "tester": "qa",
}


@cache
def canonical_role_names() -> frozenset[str]:
    return frozenset(load_roles())


def known_role_names() -> frozenset[str]:
    """Every name that configuration may use for a role."""
    return canonical_role_names() | frozenset(ROLE_ALIASES)


def role_word(word: str) -> str | None:
    """The canonical role a typed word names (any case), or None when it names no role."""
    name = word.strip().lower()
    canonical = ROLE_ALIASES.get(name, name)
    return canonical if canonical in canonical_role_names() else None


def canonical_role(name: str) -> str:
    """The role file's name for `name`, or RoleNameError naming the valid roles."""
    canonical = ROLE_ALIASES.get(name, name)
    if canonical not in canonical_role_names():
        raise RoleNameError(
            f"unknown role {name!r}; use one of: {', '.join(sorted(canonical_role_names()))} "
            f"(or the short names {', '.join(sorted(ROLE_ALIASES))})"
        )
    return canonical


class RoleNameError(ValueError):
    """A role name that is neither a role nor an alias of one."""
