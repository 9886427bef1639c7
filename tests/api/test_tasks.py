"""Task listing, cancel and retry, and the hand-off of retried ids to the queue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.api.auth import authenticate
from bot.api.errors import Conflict
from bot.api.operations import Call
from bot.api.rest_app import build_api_routes
from bot.api.routes.tasks import cancel_task
from bot.api.types import ApiDeps, Role
from bot.settings import Settings
from storage.kv.memory import MemoryRateLimiter
from storage.sql.database import Database
from storage.sql.models import AgentState, AuditEntry, Project, Task
from tests.api.support import ApiHarness, make_harness


def _project(api: ApiHarness, name: str = "octo/a") -> int:
    with api.database.session() as session:
        project = Project(name=name)
        session.add(project)
        session.flush()
        return project.id


def _task(api: ApiHarness, project_id: int | None, **values: Any) -> int:
    with api.database.session() as session:
        task = Task(project_id=project_id, kind=values.pop("kind", "implement"), **values)
        session.add(task)
        session.flush()
        return task.id


def _load(api: ApiHarness, task_id: int) -> Task:
    with api.database.session() as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task


def test_cancel_queued_task_cancels_it(api: ApiHarness) -> None:
    project = _project(api)
    task_id = _task(api, project)
    headers = api.auth(api.key(Role.MEMBER, project, name="dev"))
    response = api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    stored = _load(api, task_id)
    assert stored.state == "cancelled"
    assert stored.finished_at is not None
    assert api.queue.ids == []
    with api.database.session() as session:
        entry = session.query(AuditEntry).one()
        assert (entry.action, entry.target) == ("tasks.cancel", f"task:{task_id}")
        assert entry.details["from"] == "queued"
        assert entry.actor.endswith(":dev")
        assert entry.source_ip == "testclient"


def test_cancel_running_task_requests_cancellation(api: ApiHarness) -> None:
    project = _project(api)
    task_id = _task(api, project, state="running", started_at=datetime.now(UTC))
    headers = api.auth(api.key(Role.ADMIN))
    response = api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["cancel_requested"]) == ("running", True)
    stored = _load(api, task_id)
    assert (stored.state, stored.cancel_requested) == ("running", True)


def test_cancel_finished_task_conflicts(api: ApiHarness) -> None:
    project = _project(api)
    headers = api.auth(api.key(Role.ADMIN))
    for state in ("succeeded", "failed", "cancelled"):
        task_id = _task(api, project, state=state)
        response = api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=headers)
        assert response.status_code == 409, state
        assert response.json()["error"]["code"] == "conflict"
        assert _load(api, task_id).state == state
    with api.database.session() as session:
        assert session.query(AuditEntry).count() == 0


def test_retry_failed_task_resets_and_enqueues_after_commit(api: ApiHarness) -> None:
    project = _project(api)
    task_id = _task(
        api,
        project,
        state="failed",
        attempts=3,
        error="boom",
        lease_owner="worker-1",
        finished_at=datetime.now(UTC),
    )
    headers = api.auth(api.key(Role.MEMBER, project))
    response = api.client.post(f"/api/v1/tasks/{task_id}/retry", headers=headers)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["attempts"]) == ("queued", 0)
    # RecordingQueue reads the row in its own session: it saw the committed, queued task.
    assert api.queue.ids == [task_id]
    assert api.queue.states_seen == ["queued"]
    stored = _load(api, task_id)
    assert (stored.state, stored.attempts, stored.error) == ("queued", 0, None)
    assert stored.lease_owner is None and stored.finished_at is None


def test_retry_cancelled_task_and_refuse_others(api: ApiHarness) -> None:
    project = _project(api)
    headers = api.auth(api.key(Role.ADMIN))
    cancelled = _task(api, project, state="cancelled", cancel_requested=True)
    response = api.client.post(f"/api/v1/tasks/{cancelled}/retry", headers=headers)
    assert response.status_code == 200
    assert response.json()["cancel_requested"] is False
    for state in ("queued", "running", "succeeded"):
        task_id = _task(api, project, state=state)
        refused = api.client.post(f"/api/v1/tasks/{task_id}/retry", headers=headers)
        assert refused.status_code == 409, state
    assert api.queue.ids == [cancelled]


def test_unknown_task_is_404_and_project_key_cannot_see_global_tasks(api: ApiHarness) -> None:
    project = _project(api)
    orphan = _task(api, None)
    member = api.auth(api.key(Role.ADMIN, project))
    assert api.client.get("/api/v1/tasks/999999", headers=member).status_code == 404
    assert api.client.get(f"/api/v1/tasks/{orphan}", headers=member).status_code == 404
    admin = api.auth(api.key(Role.ADMIN))
    assert api.client.get(f"/api/v1/tasks/{orphan}", headers=admin).status_code == 200


def test_list_filters_and_paginates(api: ApiHarness) -> None:
    a = _project(api, "octo/a")
    b = _project(api, "octo/b")
    ids_a = [_task(api, a, kind="plan" if i % 2 else "review") for i in range(5)]
    _task(api, b, state="failed")
    _task(api, a, state="failed", kind="plan")
    admin = api.auth(api.key(Role.ADMIN))

    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "project": "octo/a", "state": "queued"}
        if cursor:
            params["cursor"] = cursor
        page = api.client.get("/api/v1/tasks", params=params, headers=admin).json()
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids_a, reverse=True)
    assert pages == 3

    plans = api.client.get("/api/v1/tasks?kind=plan", headers=admin).json()["items"]
    assert {t["kind"] for t in plans} == {"plan"} and len(plans) == 3
    failed = api.client.get("/api/v1/tasks?state=failed", headers=admin).json()["items"]
    assert {t["project_id"] for t in failed} == {a, b}

    viewer_b = api.auth(api.key(Role.VIEWER, b))
    only_b = api.client.get("/api/v1/tasks", headers=viewer_b).json()["items"]
    assert {t["project_id"] for t in only_b} == {b}
    hidden = api.client.get("/api/v1/tasks?project=octo/a", headers=viewer_b)
    assert hidden.status_code == 404


class DownQueue:
    def enqueue(self, task_ids: Iterable[int]) -> None:
        raise ConnectionError("queue unreachable")

    def depth(self) -> int:
        raise ConnectionError("queue unreachable")


def test_retry_survives_a_queue_outage(database: Database) -> None:
    api = make_harness(database)
    deps = ApiDeps(
        database=database,
        settings=Settings(),
        rate_limiter=MemoryRateLimiter(),
        queue=DownQueue(),
        search=api.search,
    )
    client = TestClient(Starlette(routes=build_api_routes(deps)))
    project = _project(api)
    task_id = _task(api, project, state="failed", attempts=2)
    headers = api.auth(api.key(Role.ADMIN))
    response = client.post(f"/api/v1/tasks/{task_id}/retry", headers=headers)
    # SQL holds the truth: the task is queued and will be picked up by recovery.
    assert response.status_code == 200
    assert _load(api, task_id).state == "queued"


def test_cancel_loses_a_race_with_a_worker_cleanly(api: ApiHarness) -> None:
    """A worker claims the task between our read and our write: 409, and no lost update."""
    project = _project(api)
    task_id = _task(api, project)
    principal = authenticate(api.database, f"Bearer {api.key(Role.ADMIN)}")
    with pytest.raises(Conflict), api.database.session() as session:
        stale = session.get(Task, task_id)
        assert stale is not None and stale.state == "queued"
        with api.database.session() as worker:
            claimed = worker.get(Task, task_id)
            assert claimed is not None
            claimed.state = "running"
            claimed.lease_owner = "worker-1"
        call = Call(session, principal, api.deps, {"task_id": task_id}, None, None, task=stale)
        cancel_task(call)
    stored = _load(api, task_id)
    assert (stored.state, stored.lease_owner, stored.finished_at) == ("running", "worker-1", None)


def _steps(api: ApiHarness, task_id: int, *steps: tuple[str, dict[str, Any]]) -> None:
    with api.database.session() as session:
        for number, (kind, payload) in enumerate(steps):
            session.add(AgentState(task_id=task_id, step=number, kind=kind, payload=payload))


def test_trace_shows_model_calls_tool_calls_and_results(api: ApiHarness) -> None:
    project = _project(api)
    task_id = _task(api, project, group_key="octo/a#3", role="backend_developer")
    usage = {"input_tokens": 100, "output_tokens": 20}
    long_output = "Traceback (most recent call last):\n" + "x" * 5000
    _steps(
        api,
        task_id,
        ("response", {"provider": "openai", "model": "gpt-x", "content": "", "usage": usage,
                      "cost_usd": 0.25, "tool_calls": [{"name": "run_command"}]}),
        ("tool_call", {"name": "run_command", "arguments": {"command": "python3 -m unittest"}}),
        ("tool_result", {"name": "run_command", "ok": False, "output": long_output}),
        ("end", {"status": "finished", "summary": "Done."}),
    )  # fmt: skip
    headers = api.auth(api.key(Role.VIEWER, project, name="viewer"))
    response = api.client.get(f"/api/v1/tasks/{task_id}/trace", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    texts = [step["text"] for step in body["steps"]]
    assert texts[0] == "model openai:gpt-x: calls run_command"
    assert texts[1] == "run_command python3 -m unittest"
    assert texts[2].startswith("run_command: error: Traceback (most recent call last): …")
    assert len(texts[2]) < 200  # trimmed, not the whole output
    assert texts[3] == "finished: Done."
    assert body["steps"][0]["tokens"] == 120 and body["tokens"] == 120
    assert body["cost_usd"] == 0.25 and body["task"]["id"] == task_id


def test_trace_of_another_projects_task_is_404_and_tasks_filter_by_group(api: ApiHarness) -> None:
    mine, theirs = _project(api), _project(api, "octo/b")
    first = _task(api, mine, group_key="octo/a#1")
    _task(api, mine, group_key="octo/a#2")
    hidden = _task(api, theirs, group_key="octo/b#1")
    headers = api.auth(api.key(Role.VIEWER, mine, name="viewer"))
    assert api.client.get(f"/api/v1/tasks/{hidden}/trace", headers=headers).status_code == 404
    listed = api.client.get("/api/v1/tasks", params={"group": "octo/a#1"}, headers=headers)
    assert [t["id"] for t in listed.json()["items"]] == [first]


def test_trace_says_when_a_models_price_is_unknown(api: ApiHarness) -> None:
    project = _project(api)
    task_id = _task(api, project, group_key="octo/a#4", role="backend_developer")
    usage = {"input_tokens": 100, "output_tokens": 20}
    priced = {
        "provider": "openai",
        "model": "gpt-4.1",
        "content": "a",
        "usage": usage,
        "cost_usd": 0.25,
        "tool_calls": [],
    }
    unpriced = {**priced, "model": "my-finetune", "cost_usd": 0.0, "cost_unknown": True}
    _steps(api, task_id, ("response", priced), ("response", unpriced))  # fmt: skip
    headers = api.auth(api.key(Role.VIEWER, project, name="viewer"))
    body = api.client.get(f"/api/v1/tasks/{task_id}/trace", headers=headers).json()
    assert [(s["cost_usd"], s["cost_known"]) for s in body["steps"]] == [
        (0.25, True),
        (None, False),  # not 0.0
    ]
    assert body["cost_usd"] == 0.25 and body["unpriced_calls"] == 1
    # Only unpriced calls: the total is unknown too.
    other = _task(api, project, group_key="octo/a#5", role="backend_developer")
    _steps(api, other, ("response", unpriced))
    body = api.client.get(f"/api/v1/tasks/{other}/trace", headers=headers).json()
    assert body["cost_usd"] is None and body["unpriced_calls"] == 1
