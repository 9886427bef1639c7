"""API keys, managed by global admins: the secret is returned once, at creation."""

from __future__ import annotations

from bot.api.errors import NotFound
from bot.api.keys import create_key, list_keys, revoke_key
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyOut
from bot.api.types import Role
from storage.sql.models import Project


def list_api_keys(call: Call) -> Reply:
    return Reply(ApiKeyList(items=[ApiKeyOut.model_validate(k) for k in list_keys(call.session)]))


def create_api_key(call: Call) -> Reply:
    body: ApiKeyCreate = call.body
    if body.project_id is not None and call.session.get(Project, body.project_id) is None:
        raise NotFound(f"project {body.project_id} not found; omit project_id for a global key")
    new = create_key(call.session, name=body.name, role=Role(body.role), project_id=body.project_id)
    out = ApiKeyOut.model_validate(new.record)
    return Reply(
        ApiKeyCreated(**out.model_dump(), key=new.secret),
        audit_target=f"api_key:{new.record.id}",
        audit_details={"name": body.name, "role": body.role, "project_id": body.project_id},
    )


def revoke_api_key(call: Call) -> Reply:
    record = revoke_key(call.session, call.path["key_id"])
    if record is None:
        raise NotFound(f"API key {call.path['key_id']} not found; list the keys for their ids")
    return Reply(audit_target=f"api_key:{record.id}", audit_details={"name": record.name})


def operations() -> list[Operation]:
    return [
        Operation("GET", "/keys", "keys.list", "List API keys (never their secrets)",
                  list_api_keys, Role.ADMIN, Scope.GLOBAL, response=ApiKeyList),
        Operation("POST", "/keys", "keys.create", "Create an API key; the secret is shown once",
                  create_api_key, Role.ADMIN, Scope.GLOBAL, body=ApiKeyCreate,
                  response=ApiKeyCreated, status=201),
        Operation("DELETE", "/keys/{key_id:int}", "keys.revoke", "Revoke an API key",
                  revoke_api_key, Role.ADMIN, Scope.GLOBAL, status=204),
    ]  # fmt: skip
