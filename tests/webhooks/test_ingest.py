"""Ingest on both databases: supersede on push, installation registry, deactivated projects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.sql.database import Database
from storage.sql.models import Installation, Project, Task, TaskState
from storage.tasks import NewTask, create_task
from tests.webhooks.support import example, ingest_config
from webhooks.ingest import Delivery, Outcome, ingest_delivery
from webhooks.supersede import cancel_group


def deliver(database: Database, event: str, payload: dict[str, Any], delivery: str) -> Any:
    return ingest_delivery(database, Delivery(delivery, event, payload), ingest_config())


def test_new_push_supersedes_queued_review_and_qa(database: Database) -> None:
    opened = example("pull_request", "opened")
    first = deliver(database, "pull_request", opened, "d-open")
    assert first.outcome is Outcome.QUEUED and len(first.new_task_ids) == 2
    sync = example("pull_request", "synchronize")
    sync["pull_request"]["number"] = opened["pull_request"]["number"]
    sync["repository"] = opened["repository"]
    second = deliver(database, "pull_request", sync, "d-sync")
    assert sorted(second.cancelled_task_ids) == sorted(first.new_task_ids)
    assert "cancelled superseded tasks" in second.reason
    with database.session() as session:
        states = {t.id: t.state for t in session.scalars(select(Task))}
    assert {states[i] for i in first.new_task_ids} == {TaskState.CANCELLED.value}
    assert {states[i] for i in second.new_task_ids} == {TaskState.QUEUED.value}


def test_cancel_group_only_touches_its_group_and_kinds(database: Database) -> None:
    with database.session() as session:
        review, _ = create_task(session, NewTask(kind="pr.review", group_key="o/r!pr-1"))
        fix, _ = create_task(session, NewTask(kind="pr.fix", group_key="o/r!pr-1"))
        other, _ = create_task(session, NewTask(kind="pr.review", group_key="o/r!pr-2"))
        running, _ = create_task(session, NewTask(kind="pr.qa", group_key="o/r!pr-1"))
        running.state = TaskState.RUNNING.value
        ids = (review.id, fix.id, other.id, running.id)
    with database.session() as session:
        cancelled = cancel_group(
            session, "o/r!pr-1", kinds=("pr.review", "pr.qa"), reason="new push"
        )
    assert cancelled == [ids[0]]
    with database.session() as session:
        rows = {t.id: t for t in session.scalars(select(Task))}
    assert rows[ids[0]].state == "cancelled" and rows[ids[0]].error == "new push"
    assert rows[ids[1]].state == "queued"
    assert rows[ids[2]].state == "queued"
    assert rows[ids[3]].state == "running" and rows[ids[3]].cancel_requested


def test_installation_lifecycle_registers_and_unregisters(database: Database) -> None:
    created = example("installation", "created")
    installation_id = created["installation"]["id"]
    result = deliver(database, "installation", created, "i-1")
    assert result.outcome is Outcome.QUEUED
    with database.session() as session:
        projects = session.scalars(select(Project)).all()
        assert sorted(p.name for p in projects) == sorted(
            r["full_name"] for r in created["repositories"]
        )
        assert all(p.installation_id == installation_id and p.active for p in projects)
        assert session.get(Installation, installation_id) is not None
        index_tasks = session.scalars(select(Task).where(Task.kind == "repo.index")).all()
        assert {t.project_id for t in index_tasks} == {p.id for p in projects}
    suspend = example("installation", "suspend")
    suspend["installation"]["id"] = installation_id
    deliver(database, "installation", suspend, "i-2")
    with database.session() as session:
        row = session.get(Installation, installation_id)
        assert row is not None and row.suspended
    deleted = example("installation", "deleted")
    deleted["installation"]["id"] = installation_id
    gone = deliver(database, "installation", deleted, "i-3")
    assert gone.outcome is Outcome.REGISTERED
    with database.session() as session:
        assert session.get(Installation, installation_id) is None
        assert not any(p.active for p in session.scalars(select(Project)))


def test_events_for_a_deactivated_project_are_ignored(database: Database) -> None:
    with database.session() as session:
        session.add(Project(name="Codertocat/Hello-World", active=False))
    payload = example("issue_comment", "created")
    payload["comment"]["body"] = "/plan"
    result = deliver(database, "issue_comment", payload, "x-1")
    assert result.outcome is Outcome.IGNORED
    assert "deactivated" in result.reason


def test_stored_project_config_sets_trigger_label_and_project_id(database: Database) -> None:
    with database.session() as session:
        project = Project(name="Codertocat/Hello-World", config={"trigger_label": "ai"})
        session.add(project)
        session.flush()
        project_id = project.id
    payload = example("issues", "labeled")
    payload["label"]["name"] = "ai"
    result = deliver(database, "issues", payload, "l-1")
    assert result.outcome is Outcome.QUEUED
    with database.session() as session:
        task = session.scalars(select(Task)).one()
    assert task.project_id == project_id


def test_payload_missing_required_fields_is_ignored_with_reason(database: Database) -> None:
    result = deliver(
        database, "issues", {"action": "opened", "repository": {"full_name": "a/b"}}, "m-1"
    )
    assert result.outcome is Outcome.IGNORED
    assert "issue" in result.reason


def test_an_unknown_config_routes_any_label_and_a_later_label_is_not_swallowed(
    database: Database,
) -> None:
    # No worker has read the repository's config: every label reaches the worker's check,
    # and a pending task for one label does not absorb the next, different label.
    bug = example("issues", "labeled")
    bug["label"]["name"] = "bug"
    first = deliver(database, "issues", bug, "u-1")
    assert first.outcome is Outcome.QUEUED and len(first.new_task_ids) == 1
    trigger = example("issues", "labeled")
    trigger["label"]["name"] = "codemonkey"
    second = deliver(database, "issues", trigger, "u-2")
    assert len(second.new_task_ids) == 1 and second.new_task_ids != first.new_task_ids
    again = example("issues", "labeled")
    again["label"]["name"] = "codemonkey"
    third = deliver(database, "issues", again, "u-3")
    assert third.new_task_ids == () and third.task_ids == second.new_task_ids
    with database.session() as session:
        session.add(Project(name="Other/Repo", config={"_loaded_from": "main"}))
    known = example("issues", "labeled")
    known["label"]["name"] = "bug"
    known["repository"]["full_name"] = "Other/Repo"
    assert deliver(database, "issues", known, "u-4").outcome is Outcome.IGNORED
