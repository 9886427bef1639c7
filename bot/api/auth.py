"""Who is calling and what they may do.

Every route declares a required role; a key holds one role, either on one project or on all
of them (a global key). A project outside a key's reach answers 404, so a key cannot probe
which projects exist; a project within reach but with too low a role answers 403.

The OpenAI-compatible `/v1` routes use the same keys: `authenticate` gives the caller, and
`resolve_chat_project` picks the project from the `X-CodeMonkey-Project` header or from a
`@owner/repo` suffix on the model name.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api.errors import FieldError, Forbidden, NotFound, Unauthenticated, ValidationFailed
from bot.api.keys import find_principal
from bot.api.types import Principal, Role
from storage.sql.database import Database
from storage.sql.models import Project

PROJECT_HEADER = "X-CodeMonkey-Project"
MODEL_PROJECT_SEPARATOR = "@"

_FIX_AUTH = (
    "send `Authorization: Bearer cm_...` with a live API key "
    "(create one with `codemonkey keys create`)"
)


def bearer_secret(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated(f"missing API key; {_FIX_AUTH}")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated(f"the Authorization header is not a bearer token; {_FIX_AUTH}")
    return secret.strip()


def authenticate(database: Database, authorization: str | None) -> Principal:
    secret = bearer_secret(authorization)
    with database.session() as session:
        principal = find_principal(session, secret)
    if principal is None:
        raise Unauthenticated(f"the API key is unknown or revoked; {_FIX_AUTH}")
    return principal


def require_project_role(principal: Principal, required: Role, project_id: int | None) -> None:
    held = principal.role_on(project_id)
    if held is None:
        raise NotFound(f"project {project_id} not found; list the projects your key can see")
    if not held.includes(required):
        raise Forbidden(
            f"this action needs the {required.value} role on the project; the key has "
            f"{held.value}. Use a key with that role"
        )


def require_global_role(principal: Principal, required: Role) -> None:
    if not principal.is_global or not principal.role.includes(required):
        raise Forbidden(
            f"this action needs a global {required.value} key (one not tied to a project)"
        )


def split_model_project(model: str) -> tuple[str, str | None]:
    """`codemonkey/reviewer@octo/app` -> (`codemonkey/reviewer`, `octo/app`)."""
    base, sep, project = model.partition(MODEL_PROJECT_SEPARATOR)
    return (base, project) if sep and project else (model, None)


def resolve_chat_project(
    session: Session, principal: Principal, *, header: str | None, model: str
) -> tuple[Project | None, str]:
    """The project a `/v1` request works on, and the model name without its suffix.

    A project key with no project named works on its own project; a global key with none
    named works without project context.
    """
    base, suffix = split_model_project(model)
    named = header.strip() if header and header.strip() else None
    if named and suffix and named != suffix:
        raise ValidationFailed(
            [
                FieldError(
                    "model",
                    "body",
                    f"the model names project {suffix!r} but {PROJECT_HEADER} names "
                    f"{named!r}; name one project",
                )
            ]
        )
    name = named or suffix
    if name is None:
        if principal.project_id is None:
            return None, base
        return session.get(Project, principal.project_id), base
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None or principal.role_on(project.id) is None:
        raise NotFound(f"project {name!r} not found; check the owner/repo name")
    return project, base
