"""Projects, agents, conversations, files, search and webhook deliveries through the app."""

from __future__ import annotations

from typing import Any

from bot.api.types import Role
from storage.sql.models import AuditEntry, Conversation, File, Message, WebhookDelivery
from tests.api.support import ApiHarness


def _create_project(api: ApiHarness, headers: dict[str, str], name: str) -> dict[str, Any]:
    response = api.client.post("/api/v1/projects", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_project_lifecycle_and_visibility(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN, name="root"))
    a = _create_project(api, admin, "octo/a")
    b = _create_project(api, admin, "octo/b")
    assert (a["default_branch"], a["active"], a["config"]) == ("main", True, {})
    patch = {"default_branch": "trunk", "config": {"labels": ["bot"]}}
    updated = api.client.patch(f"/api/v1/projects/{a['id']}", json=patch, headers=admin)
    assert updated.status_code == 200
    assert updated.json()["default_branch"] == "trunk"
    assert api.client.get(f"/api/v1/projects/{a['id']}", headers=admin).json()["config"] == {
        "labels": ["bot"]
    }
    listed = api.client.get("/api/v1/projects", headers=admin).json()
    assert [p["name"] for p in listed["items"]] == ["octo/a", "octo/b"]
    viewer_b = api.auth(api.key(Role.VIEWER, b["id"]))
    mine = api.client.get("/api/v1/projects", headers=viewer_b).json()
    assert [p["name"] for p in mine["items"]] == ["octo/b"]
    assert api.client.get("/api/v1/projects/999", headers=admin).status_code == 404
    with api.database.session() as session:
        entries = session.query(AuditEntry).order_by(AuditEntry.id).all()
        assert [(e.action, e.target) for e in entries] == [
            ("projects.create", f"project:{a['id']}"),
            ("projects.create", f"project:{b['id']}"),
            ("projects.update", f"project:{a['id']}"),
        ]
        assert entries[2].details == {"changed": ["config", "default_branch"]}
        assert all(e.actor.endswith(":root") for e in entries)


def test_conversations_and_messages(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    a = _create_project(api, admin, "octo/a")["id"]
    b = _create_project(api, admin, "octo/b")["id"]
    with api.database.session() as session:
        conversation = Conversation(project_id=a, kind="issue", external_ref="octo/a#3", title="t")
        other = Conversation(project_id=b, kind="issue", external_ref="octo/b#1")
        session.add_all([conversation, other])
        session.flush()
        session.add_all(
            [
                Message(conversation_id=conversation.id, role="user", content=f"m{i}")
                for i in range(3)
            ]
        )
        conv_id, other_id = conversation.id, other.id
    member = api.auth(api.key(Role.MEMBER, a, name="alice"))
    url = f"/api/v1/projects/{a}/conversations/{conv_id}/messages"
    created = api.client.post(url, json={"content": "please add tests"}, headers=member)
    assert created.status_code == 201
    assert (created.json()["author"], created.json()["role"]) == ("alice", "user")
    first = api.client.get(url, params={"limit": 3}, headers=member).json()
    assert [m["content"] for m in first["items"]] == ["m0", "m1", "m2"]
    rest = api.client.get(url, params={"cursor": first["next_cursor"]}, headers=member).json()
    assert ([m["content"] for m in rest["items"]], rest["next_cursor"]) == (
        ["please add tests"],
        None,
    )
    listed = api.client.get(f"/api/v1/projects/{a}/conversations", headers=member).json()
    assert [c["id"] for c in listed["items"]] == [conv_id]
    # A conversation of another project is not reachable through this project's path.
    crossed = api.client.get(f"/api/v1/projects/{a}/conversations/{other_id}", headers=admin)
    assert crossed.status_code == 404
    empty = api.client.post(url, json={"content": ""}, headers=member)
    assert empty.status_code == 422


def test_files_paginate_by_path_with_prefix(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    project = _create_project(api, admin, "octo/a")["id"]
    paths = ["src/b.py", "README.md", "src/a.py", "src/sub/c.py", "src_x/d.py", "docs/x.md"]
    with api.database.session() as session:
        session.add_all([File(project_id=project, path=p, sha="0" * 40) for p in paths])
    url = f"/api/v1/projects/{project}/files"
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = api.client.get(url, params=params, headers=admin).json()
        seen += [f["path"] for f in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(paths)
    src = api.client.get(url, params={"prefix": "src/"}, headers=admin).json()
    assert [f["path"] for f in src["items"]] == ["src/a.py", "src/b.py", "src/sub/c.py"]
    # `_` is a LIKE wildcard; the prefix must match it literally.
    assert (
        api.client.get(url, params={"prefix": "src_"}, headers=admin).json()["items"][0]["path"]
        == "src_x/d.py"
    )


def test_search_calls_the_injected_search_with_the_project_name(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    project = _create_project(api, admin, "octo/a")["id"]
    api.search.add("octo/a", "code", "auth.py", "def login(user, password): check password")
    api.search.add("octo/a", "code", "util.py", "def slugify(text)")
    api.search.add("octo/b", "code", "other.py", "login elsewhere")
    viewer = api.auth(api.key(Role.VIEWER, project))
    response = api.client.post(
        f"/api/v1/projects/{project}/search",
        json={"query": "login password", "n": 5},
        headers=viewer,
    )
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert [h["path"] for h in hits] == ["auth.py"]
    assert hits[0]["score"] == 2.0
    assert api.search.calls == [("octo/a", "code", "login password", 5)]
    invalid = api.client.post(
        f"/api/v1/projects/{project}/search", json={"query": "x", "n": 500}, headers=viewer
    )
    assert invalid.status_code == 422
    with api.database.session() as session:
        entry = session.query(AuditEntry).filter_by(action="search.run").one()
        assert "login" not in str(entry.details)


def test_deliveries_are_scoped_to_the_keys_repository(api: ApiHarness) -> None:
    admin = api.auth(api.key(Role.ADMIN))
    a = _create_project(api, admin, "octo/a")["id"]
    with api.database.session() as session:
        session.add_all(
            [
                WebhookDelivery(delivery_id="d1", event="issues", repository="octo/a"),
                WebhookDelivery(delivery_id="d2", event="push", repository="octo/b"),
                WebhookDelivery(delivery_id="d3", event="ping", repository=None),
            ]
        )
    everything = api.client.get("/api/v1/webhook-deliveries", headers=admin).json()
    assert [d["delivery_id"] for d in everything["items"]] == ["d3", "d2", "d1"]
    viewer = api.auth(api.key(Role.VIEWER, a))
    mine = api.client.get("/api/v1/webhook-deliveries", headers=viewer).json()
    assert [d["delivery_id"] for d in mine["items"]] == ["d1"]
