"""The roles' names as configuration may write them: canonical (`code_reviewer`, from the
role files) or the short aliases people type at ingress (`reviewer`)."""

from __future__ import annotations

from functools import cache

from agents.roles import load_roles

# Short name -> the role file's name.
ROLE_ALIASES = {
    "pm": "project_manager",
    "backend": "backend_developer",
    "frontend": "frontend_developer",
    "reviewer": "code_reviewer",
    "qa": "qa",
    "devops": "devops",
    "architect": "architect",
    "tech_lead": "tech_lead",
}


@cache
def canonical_role_names() -> frozenset[str]:
    return frozenset(load_roles())


def known_role_names() -> frozenset[str]:
    """Every name that configuration may use for a role."""
    return canonical_role_names() | frozenset(ROLE_ALIASES)


def canonical_role(name: str) -> str:
    """The role file's name for `name`, or RoleNameError naming the valid roles."""
    canonical = ROLE_ALIASES.get(name, name)
    if canonical not in canonical_role_names():
        raise RoleNameError(
            f"unknown role {name!r}; use one of: {', '.join(sorted(canonical_role_names()))} "
            f"(or the short names {', '.join(sorted(set(ROLE_ALIASES) - canonical_role_names()))})"
        )
    return canonical


class RoleNameError(ValueError):
    """A role name that is neither a role nor an alias of one."""
