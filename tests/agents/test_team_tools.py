from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.githost import RepoRef
from agents.roles import Role, load_roles
from agents.runtime import CallContext
from agents.runtime.toolset import ToolSet
from agents.team.deps import FlowError
from agents.team.finalize import pick_reviewer
from agents.team.github_tools import GitHubScope, GitHubTools
from agents.team.group_commands import issue_status, stop_issue
from agents.team.localhost import LocalHost
from agents.team.tools import TeamScope, TeamTools
from storage.conversations import get_or_create_conversation, list_messages
from storage.side_effects import SideEffects
from storage.sql.database import Database
from storage.task_graph import group_tasks
from storage.tasks import TaskStore
from tests.agents.helpers import make_task

GROUP = "octo/hello#1"


def _ctx(key: str, task_id: int = 1) -> CallContext:
    return CallContext(task_id=task_id, step=3, role="project_manager", idempotency_key=key)


def _team(
    db: Database, role: str = "project_manager", answers: list[str] | None = None
) -> tuple[ToolSet, int]:
    roles = load_roles()
    task_id = make_task(db, kind="plan", role=role)
    asked: list[tuple[str, str]] = []

    def answer(target: Role, question: str, task_id: int) -> str:
        asked.append((target.name, question))
        return (answers or ["use Postgres"])[len(asked) - 1]

    scope = TeamScope(task_id, roles[role], GROUP, None, {"issue": 1})
    return ToolSet(TeamTools(db, scope, roles=roles, answerer=answer).tools()), task_id


def test_delegate_builds_the_dag_once_per_key(database: Database) -> None:
    tools, plan = _team(database)
    first = tools.call(
        "delegate",
        {"role": "backend_developer", "title": "API", "description": "d", "paths": ["./api.py"]},
        _ctx("k1", plan),
    )
    assert first.ok and first.communicated
    api = first.data["task_id"]
    second = tools.call(
        "delegate",
        {"role": "qa", "title": "Tests", "description": "d", "depends_on": [api]},
        _ctx("k2", plan),
    )
    again = tools.call(
        "delegate",
        {"role": "backend_developer", "title": "API", "description": "d", "paths": ["api.py"]},
        _ctx("k1", plan),
    )
    assert again.data["task_id"] == api and "already created" in again.output
    with database.session() as session:
        tasks = {t.id: t for t in group_tasks(session, GROUP)}
    assert tasks[api].paths == ("api.py",) and tasks[api].parent_id == plan
    assert tasks[api].kind == "implement" and tasks[api].payload == {"issue": 1, "description": "d"}
    # Delegated work also waits for its delegator (the plan) to finish.
    assert tasks[second.data["task_id"]].depends_on == (plan, api)
    assert len(tasks) == 3


def test_delegate_refuses_what_the_hierarchy_or_dag_forbids(database: Database) -> None:
    dev_tools, dev = _team(database, role="backend_developer")
    refused = dev_tools.call(
        "delegate", {"role": "qa", "title": "t", "description": "d"}, _ctx("k", dev)
    )
    assert not refused.ok and "cannot delegate" in refused.output
    pm_tools, plan = _team(database)
    other_issue = make_task(database, group_key="octo/hello#2")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"role": "wizard"}, "role: 'wizard' is not one of"),
        ({"role": "qa", "depends_on": [other_issue]}, "is neither a task of this issue"),
        ({"role": "qa", "paths": ["../etc/passwd"]}, "must be relative"),
        ({"role": "qa", "paths": ["/etc/passwd"]}, "must be relative"),
        ({"role": "qa", "paths": ["  "]}, "paths/0: '  ' does not match"),
        ({"role": "qa", "label": "x" * 65}, "label: 'xxxx"),
        ({"role": "qa", "label": " "}, "label: ' ' does not match"),
    ]
    for args, message in cases:
        outcome = pm_tools.call(
            "delegate", {"title": "t", "description": "d", **args}, _ctx(f"k-{message}", plan)
        )
        assert not outcome.ok and message in outcome.output


def test_delegate_depends_on_labels_given_earlier_in_the_same_reply(database: Database) -> None:
    tools, plan = _team(database)
    api = tools.call(
        "delegate",
        {"role": "backend_developer", "title": "API", "description": "d", "label": "api"},
        _ctx("k1", plan),
    )
    assert api.ok and "(label 'api')" in api.output
    tests = tools.call(
        "delegate",
        {"role": "qa", "title": "Tests", "description": "d", "depends_on": ["api"]},
        _ctx("k2", plan),
    )
    assert tests.ok, tests.output
    with database.session() as session:
        made = {t.id: t for t in group_tasks(session, GROUP)}
    assert made[tests.data["task_id"]].depends_on == tuple(sorted((plan, api.data["task_id"])))
    # An unknown label is refused with the labels this plan has; a taken label too.
    unknown = tools.call(
        "delegate",
        {"role": "qa", "title": "t", "description": "d", "depends_on": ["ui"]},
        _ctx("k3", plan),
    )
    assert not unknown.ok and "labels so far: 'api'" in unknown.output
    taken = tools.call(
        "delegate",
        {"role": "qa", "title": "t", "description": "d", "label": "api"},
        _ctx("k4", plan),
    )
    assert not taken.ok and f"already names task #{api.data['task_id']}" in taken.output
    # Replaying the labelled call (a resumed run) returns the same task.
    again = tools.call(
        "delegate",
        {"role": "backend_developer", "title": "API", "description": "d", "label": "api"},
        _ctx("k1", plan),
    )
    assert again.ok and again.data["task_id"] == api.data["task_id"]


def test_team_tools_offer_only_the_roles_of_the_roster(database: Database) -> None:
    roles = {name: r for name, r in load_roles().items() if name != "tech_lead"}
    scope = TeamScope(make_task(database), roles["project_manager"], GROUP)
    specs = {t.name: t for t in TeamTools(database, scope, roles=roles).tools()}
    offered = specs["delegate"].parameters["properties"]["role"]["enum"]
    assert "tech_lead" not in offered and "project_manager" not in offered
    assert set(offered) == set(roles) - {"project_manager"}
    assert "tech_lead" not in specs["ask"].parameters["properties"]["role"]["enum"]


def test_ask_records_the_exchange_and_replays_it(database: Database) -> None:
    tools, plan = _team(database, answers=["use Postgres"])
    args = {"role": "architect", "question": "Which database?"}
    first = tools.call("ask", args, _ctx("ask-1", plan))
    replay = tools.call("ask", args, _ctx("ask-1", plan))
    assert first.output == replay.output == "use Postgres"
    with database.session() as session:
        conversation = get_or_create_conversation(session, kind="team", external_ref=GROUP)
        messages = list_messages(session, conversation)
    assert [(m["author"], m["content"]) for m in messages] == [
        ("project_manager", "Which database?"),
        ("architect", "use Postgres"),
    ]


def _github(db: Database, host: LocalHost, pr: int | None = 7) -> ToolSet:
    scope = GitHubScope(
        RepoRef("octo", "hello"), 1, "codemonkey/1-x", "main", lambda: pr, lambda: "a" * 40
    )
    return ToolSet(GitHubTools(host, scope, SideEffects(db)).tools())


def test_github_side_effects_happen_once_per_key(database: Database) -> None:
    host = LocalHost(issue_body="Please fix.", default_branch="main")
    tools = _github(database, host)
    task_id = make_task(database)
    for _ in range(2):
        assert tools.call("comment", {"body": "On it."}, _ctx("c1", task_id)).ok
        opened = tools.call("open_pull_request", {"title": "Fix", "body": "x"}, _ctx("p1", task_id))
        assert opened.ok and opened.data["number"] == 2
    assert [r.action for r in host.records] == ["comment", "pull_request"]
    assert host.records[1].text.endswith("Closes #1")
    items = [{"text": "API", "done": True}, {"text": "Tests"}]
    assert tools.call("update_checklist", {"items": items}, _ctx("l1", task_id)).ok
    body = host.issue_body(RepoRef("octo", "hello"), 1)
    assert body.startswith("Please fix.\n\n<!-- codemonkey:tasks:start -->")
    assert "- [x] API\n- [ ] Tests" in body


def test_review_and_check_run_validate_their_input(database: Database) -> None:
    host = LocalHost(issue_body="", default_branch="main")
    tools = _github(database, host)
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("review", {"body": "b", "event": "MERGE"}, "event: 'MERGE' is not one of"),
        (
            "review",
            {"body": "b", "event": "COMMENT", "comments": [{"path": "a"}]},
            "comments/0: 'line' is a required property",
        ),
        (
            "review",
            {
                "body": "b",
                "event": "COMMENT",
                "comments": [{"path": "a", "line": 2, "start_line": 2, "body": "x"}],
            },
            "start_line must be a line number below its line",
        ),
        (
            "check_run",
            {"conclusion": "meh", "title": "t", "summary": "s"},
            "conclusion: 'meh' is not one of",
        ),
        (
            "check_run",
            {
                "conclusion": "failure",
                "title": "t",
                "summary": "s",
                "annotations": [{"path": "a", "start_line": 0, "message": "m"}],
            },
            "annotations/0/start_line: 0 is less than the minimum of 1",
        ),
        (
            "check_run",
            {
                "conclusion": "failure",
                "title": "t",
                "summary": "s",
                "annotations": [{"path": "a", "start_line": 3, "end_line": 2, "message": "m"}],
            },
            "start_line must not be after its end_line",
        ),
        ("react", {"comment_id": 1, "content": "party"}, "content: 'party' is not one of"),
        ("update_checklist", {"items": [{"done": True}]}, "'text' is a required property"),
    ]
    for name, args, message in bad:
        outcome = tools.call(name, args, _ctx(f"bad-{name}-{message}", 1))
        assert not outcome.ok and message in outcome.output
    no_pr = _github(database, host, pr=None)
    outcome = no_pr.call("review", {"body": "b", "event": "APPROVE"}, _ctx("r0", 1))
    assert not outcome.ok and "open_pull_request first" in outcome.output
    assert host.records == []


def test_reviewer_is_never_an_author() -> None:
    roles = load_roles()
    assert pick_reviewer(roles, {"backend_developer"}).name == "code_reviewer"
    assert pick_reviewer(roles, {"backend_developer", "code_reviewer"}).name == "tech_lead"
    with pytest.raises(FlowError) as error:
        pick_reviewer(roles, {"code_reviewer", "tech_lead"})
    assert "no role may review this change" in str(error.value)


def test_stop_and_status(database: Database, tmp_path: Path) -> None:
    queued = make_task(database, group_key=GROUP)
    running = make_task(database, group_key=GROUP)
    assert TaskStore(database).claim(running, "w1", 60) is not None
    make_task(database, group_key="octo/hello#2")
    assert "Stopping 2 task(s)" in stop_issue(database, GROUP)
    with database.session() as session:
        tasks = {t.id: t for t in group_tasks(session, GROUP)}
    assert tasks[queued].state == "cancelled"
    assert tasks[running].state == "running" and tasks[running].cancel_requested
    status = issue_status(database, GROUP)
    assert f"| #{queued} |" in status and "cancelled before it ran" in status
    assert "Spent so far: $0.00" in status
    assert issue_status(database, "octo/none#1").startswith("No CodeMonkey task")
    assert stop_issue(database, "octo/none#1").startswith("Nothing to stop")
