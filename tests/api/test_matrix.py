"""Every route against every kind of caller: the declared roles are what is enforced."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.api.keys import revoke_key
from bot.api.rest_app import api_operations
from bot.api.types import Role
from storage.sql.database import Database
from storage.sql.models import Agent, ApiKey, AuditEntry, Conversation, Project, Task
from tests.api.support import ApiHarness

CALLERS = (
    "global_admin",
    "a_admin",
    "a_member",
    "a_viewer",
    "b_admin",
    "revoked",
    "no_key",
    "bad_key",
)

# operation id -> (where the role must be held, minimum role, success status).
# Written out by hand so the test checks the route table rather than restating it.
EXPECTED: dict[str, tuple[str, Role, int]] = {
    "projects.list": ("any", Role.VIEWER, 200),
    "projects.create": ("global", Role.ADMIN, 201),
    "projects.get": ("project", Role.VIEWER, 200),
    "projects.update": ("project", Role.ADMIN, 200),
    "agents.list": ("project", Role.VIEWER, 200),
    "agents.get": ("project", Role.VIEWER, 200),
    "agents.update": ("project", Role.ADMIN, 200),
    "tasks.list": ("any", Role.VIEWER, 200),
    "tasks.get": ("project", Role.VIEWER, 200),
    "tasks.trace": ("project", Role.VIEWER, 200),
    "tasks.cancel": ("project", Role.MEMBER, 200),
    "tasks.retry": ("project", Role.MEMBER, 200),
    "conversations.list": ("project", Role.VIEWER, 200),
    "conversations.get": ("project", Role.VIEWER, 200),
    "messages.list": ("project", Role.VIEWER, 200),
    "messages.create": ("project", Role.MEMBER, 201),
    "files.list": ("project", Role.VIEWER, 200),
    "search.run": ("project", Role.VIEWER, 200),
    "usage.report": ("any", Role.VIEWER, 200),
    "deliveries.list": ("any", Role.VIEWER, 200),
    "keys.list": ("global", Role.ADMIN, 200),
    "keys.create": ("global", Role.ADMIN, 201),
    "keys.revoke": ("global", Role.ADMIN, 204),
}

CALLER_ROLES = {
    "global_admin": Role.ADMIN,
    "a_admin": Role.ADMIN,
    "a_member": Role.MEMBER,
    "a_viewer": Role.VIEWER,
    "b_admin": Role.ADMIN,
}


@dataclass
class World:
    database: Database
    project_a: int
    project_b: int
    conversation: int
    counter: itertools.count[int]

    def task(self, state: str) -> int:
        with self.database.session() as session:
            task = Task(project_id=self.project_a, kind="implement", state=state)
            session.add(task)
            session.flush()
            return task.id

    def spare_key(self) -> int:
        with self.database.session() as session:
            key = ApiKey(name="spare", prefix="cm_x", key_hash=f"{next(self.counter):064d}",
                         role="viewer")  # fmt: skip
            session.add(key)
            session.flush()
            return key.id


Request = tuple[str, str, dict[str, Any] | None]


def _requests(w: World) -> dict[str, Callable[[], Request]]:
    a = f"/api/v1/projects/{w.project_a}"
    conv = f"{a}/conversations/{w.conversation}"
    return {
        "projects.list": lambda: ("GET", "/api/v1/projects", None),
        "projects.create": lambda: (
            "POST", "/api/v1/projects", {"name": f"octo/new-{next(w.counter)}"}),
        "projects.get": lambda: ("GET", a, None),
        "projects.update": lambda: ("PATCH", a, {"active": True}),
        "agents.list": lambda: ("GET", f"{a}/agents", None),
        "agents.get": lambda: ("GET", f"{a}/agents/reviewer", None),
        "agents.update": lambda: ("PATCH", f"{a}/agents/reviewer", {"model": "openai:gpt-5"}),
        "tasks.list": lambda: ("GET", "/api/v1/tasks", None),
        "tasks.get": lambda: ("GET", f"/api/v1/tasks/{w.task('queued')}", None),
        "tasks.trace": lambda: ("GET", f"/api/v1/tasks/{w.task('queued')}/trace", None),
        "tasks.cancel": lambda: ("POST", f"/api/v1/tasks/{w.task('queued')}/cancel", None),
        "tasks.retry": lambda: ("POST", f"/api/v1/tasks/{w.task('failed')}/retry", None),
        "conversations.list": lambda: ("GET", f"{a}/conversations", None),
        "conversations.get": lambda: ("GET", conv, None),
        "messages.list": lambda: ("GET", f"{conv}/messages", None),
        "messages.create": lambda: ("POST", f"{conv}/messages", {"content": "hello"}),
        "files.list": lambda: ("GET", f"{a}/files", None),
        "search.run": lambda: ("POST", f"{a}/search", {"query": "login"}),
        "usage.report": lambda: ("GET", "/api/v1/usage", None),
        "deliveries.list": lambda: ("GET", "/api/v1/webhook-deliveries", None),
        "keys.list": lambda: ("GET", "/api/v1/keys", None),
        "keys.create": lambda: (
            "POST", "/api/v1/keys", {"name": "ci", "role": "viewer", "project_id": w.project_a}),
        "keys.revoke": lambda: ("DELETE", f"/api/v1/keys/{w.spare_key()}", None),
    }  # fmt: skip


def _expected(caller: str, access: str, role: Role, success: int) -> int:
    if caller in ("revoked", "no_key", "bad_key"):
        return 401
    held = CALLER_ROLES[caller]
    if access == "global":
        return success if caller == "global_admin" else 403
    if access == "any":
        return success
    if caller == "b_admin":
        return 404
    return success if held.includes(role) else 403


def test_matrix_covers_every_route() -> None:
    assert {op.operation_id for op in api_operations()} == set(EXPECTED)


def test_every_caller_on_every_route(api: ApiHarness) -> None:
    db = api.database
    with db.session() as session:
        a, b = Project(name="octo/a"), Project(name="octo/b")
        session.add_all([a, b])
        session.flush()
        conversation = Conversation(project_id=a.id, kind="issue", external_ref="octo/a#1")
        session.add_all([conversation, Agent(project_id=None, role="reviewer", model="m")])
        session.flush()
        world = World(db, a.id, b.id, conversation.id, itertools.count())
    secrets = {
        "global_admin": api.key(Role.ADMIN, name="global"),
        "a_admin": api.key(Role.ADMIN, world.project_a, name="a_admin"),
        "a_member": api.key(Role.MEMBER, world.project_a, name="a_member"),
        "a_viewer": api.key(Role.VIEWER, world.project_a, name="a_viewer"),
        "b_admin": api.key(Role.ADMIN, world.project_b, name="b_admin"),
        "revoked": api.key(Role.ADMIN, name="revoked"),
    }
    with db.session() as session:
        newest = session.scalar(select(ApiKey.id).order_by(ApiKey.id.desc()).limit(1))
        assert newest is not None
        assert revoke_key(session, newest) is not None
    headers = {name: api.auth(secret) for name, secret in secrets.items()}
    headers["no_key"] = {}
    headers["bad_key"] = api.auth("cm_this-key-was-never-issued")

    requests = _requests(world)
    writes_done = 0
    mismatches = []
    for op_id, (access, role, success) in EXPECTED.items():
        for caller in CALLERS:
            method, url, body = requests[op_id]()
            response = api.client.request(method, url, json=body, headers=headers[caller])
            want = _expected(caller, access, role, success)
            if response.status_code < 300 and method != "GET":
                writes_done += 1
            if response.status_code != want:
                mismatches.append(f"{op_id} as {caller}: {response.status_code}, want {want}")
            elif want >= 400:
                assert (
                    response.json()["error"]["code"]
                    in {
                        401: "unauthenticated",
                        403: "forbidden",
                        404: "not_found",
                    }[want]
                )
    assert mismatches == []
    # Every successful write, and nothing else, left exactly one audit entry.
    with db.session() as session:
        entries = session.scalars(select(AuditEntry)).all()
    assert len(entries) == writes_done
    actors = {e.actor.split(":", 2)[2] for e in entries}
    assert actors == {"global", "a_admin", "a_member", "a_viewer"}
    assert {e.source_ip for e in entries} == {"testclient"}
